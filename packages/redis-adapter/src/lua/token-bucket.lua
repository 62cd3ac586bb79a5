--[[
  token-bucket: bursts up to `capacity`, refilled at `refillPerSecond`, by ARGV now (a clock that
  goes back refills nothing). A refused request takes no token.

  KEYS[1] bucket (hash: tokens, ts)
  ARGV[1] capacity   ARGV[2] refillPerSecond   ARGV[3] now   ARGV[4] cost   ARGV[5] gc ttl (ms)
  Returns {allowed 1|0, remaining (whole tokens), retryAfterMs}
]]
local capacity, rate, now, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(state[1]), tonumber(state[2])
if not tokens then tokens, ts = capacity, now end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate / 1000)
  ts = now
end
local allowed, retryAfter = 0, 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retryAfter = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%d', ts))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return { allowed, math.floor(tokens), retryAfter }
