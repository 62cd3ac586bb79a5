-- request-guard.lua: one request's blocklist check and rate limits, checked and charged at once.
--
-- KEYS[1..B]      the blocklist hashes of the request's subjects (fields: reason, until)
-- KEYS[B+1..B+L]  one token-bucket hash per limit (fields: t = tokens, a = last change, ms)
-- ARGV[1]         now, ms since the epoch
-- ARGV[2]         B, the number of blocklist keys
-- ARGV[3..]       per bucket, in KEYS order: capacity, refill per second
--
-- Returns {0} when allowed (every bucket charged one token);
--         {1, i, reason, until} when subject i is blocked (nothing charged);
--         {2, j, retryAfterMs} when bucket j is empty (nothing charged).
local now = tonumber(ARGV[1])
local blocks = tonumber(ARGV[2])

for i = 1, blocks do
  local block = redis.call('HMGET', KEYS[i], 'reason', 'until')
  if block[1] and tonumber(block[2]) > now then
    return {1, i, block[1], block[2]}
  end
end

local limits = #KEYS - blocks
local levels = {}
for j = 1, limits do
  local capacity = tonumber(ARGV[1 + 2 * j])
  local refill = tonumber(ARGV[2 + 2 * j])
  local state = redis.call('HMGET', KEYS[blocks + j], 't', 'a')
  local tokens = capacity
  if state[1] then
    local elapsed = math.max(0, now - tonumber(state[2]))
    tokens = math.min(capacity, tonumber(state[1]) + elapsed / 1000 * refill)
  end
  if tokens < 1 then
    return {2, j, math.ceil((1 - tokens) / refill * 1000)}
  end
  levels[j] = tokens
end

-- every bucket had a token: charge them all; a bucket is forgotten once it would be full again
for j = 1, limits do
  local capacity = tonumber(ARGV[1 + 2 * j])
  local refill = tonumber(ARGV[2 + 2 * j])
  local left = levels[j] - 1
  local key = KEYS[blocks + j]
  redis.call('HSET', key, 't', tostring(left), 'a', ARGV[1])
  redis.call('PEXPIRE', key, math.ceil((capacity - left) / refill * 1000) + 1000)
end
return {0}
