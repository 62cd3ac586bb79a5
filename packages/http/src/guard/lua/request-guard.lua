-- request-guard.lua: requests' blocklist checks and rate limits, each request's checked and charged
-- at once, the requests one after another (a batch of the requests one instance has in flight).
--
-- KEYS            per request, in order: its B blocklist hashes (fields: reason, until), then its L
--                 token-bucket hashes (fields: t = tokens, a = last change, ms)
-- ARGV[1]         R, the number of requests
-- ARGV[2..]       per request, in order: now (ms since the epoch), B, L, then per bucket in KEYS
--                 order: capacity, refill per second
--
-- Returns one reply per request, in order:
--   {0} when allowed (every bucket of the request charged one token);
--   {1, i, reason, until} when its subject i is blocked (nothing charged);
--   {2, j, retryAfterMs} when its bucket j is empty (nothing charged).
local requests = tonumber(ARGV[1])

-- one request at `now` (`nowText` as sent, stored as is): its keys start after `k`, its buckets' numbers after `a`
local function check(now, nowText, k, a, blocks, limits)
  for i = 1, blocks do
    local block = redis.call('HMGET', KEYS[k + i], 'reason', 'until')
    if block[1] and tonumber(block[2]) > now then
      return {1, i, block[1], block[2]}
    end
  end
  local levels = {}
  for j = 1, limits do
    local capacity = tonumber(ARGV[a + 2 * j - 1])
    local refill = tonumber(ARGV[a + 2 * j])
    local state = redis.call('HMGET', KEYS[k + blocks + j], 't', 'a')
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
    local capacity = tonumber(ARGV[a + 2 * j - 1])
    local refill = tonumber(ARGV[a + 2 * j])
    local left = levels[j] - 1
    local key = KEYS[k + blocks + j]
    redis.call('HSET', key, 't', tostring(left), 'a', nowText)
    redis.call('PEXPIRE', key, math.ceil((capacity - left) / refill * 1000) + 1000)
  end
  return {0}
end

local replies = {}
local k, a = 0, 1
for r = 1, requests do
  local now = tonumber(ARGV[a + 1])
  local blocks = tonumber(ARGV[a + 2])
  local limits = tonumber(ARGV[a + 3])
  replies[r] = check(now, ARGV[a + 1], k, a + 3, blocks, limits)
  k = k + blocks + limits
  a = a + 3 + 2 * limits
end
return replies
