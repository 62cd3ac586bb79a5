// Solves the proof-of-work challenge off the main thread: finds a nonce such that
// SHA-256(prefix + nonce) starts with `difficulty` zero bits. Costs a browser well under a second
// and a bot farm real CPU for every join.
self.onmessage = async (message) => {
  const { prefix, difficulty } = message.data;
  const encoder = new TextEncoder();
  for (let nonce = 0; ; nonce++) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(prefix + nonce)));
    if (leadingZeroBits(digest) >= difficulty) {
      self.postMessage({ answer: String(nonce), tries: nonce + 1 });
      return;
    }
  }
};

function leadingZeroBits(bytes) {
  let bits = 0;
  for (const byte of bytes) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}
