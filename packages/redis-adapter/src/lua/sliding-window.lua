--[[
  sliding-window: at most `limit` requests in any window of `windowMs` ending at ARGV now (a
  request at t counts while t > now - windowMs). One sorted-set member per unit of cost, scored
  by its time; ZREMRANGEBYSCORE drops what left the window. A refused request adds nothing.

  KEYS[1] window (zset)   KEYS[2] member counter (unique member names)
  ARGV[1] limit   ARGV[2] windowMs   ARGV[3] now   ARGV[4] cost   ARGV[5] gc ttl (ms)
  Returns {allowed 1|0, remaining, retryAfterMs}
]]
local limit, windowMs, now, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - windowMs))
local count = redis.call('ZCARD', KEYS[1])
if count + cost <= limit then
  local last = redis.call('INCRBY', KEYS[2], cost)
  for i = last - cost + 1, last do redis.call('ZADD', KEYS[1], ARGV[3], tostring(i)) end
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  return { 1, limit - count - cost, 0 }
end
local retryAfter = windowMs
local mustLeave = count + cost - limit
if cost <= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], mustLeave - 1, mustLeave - 1, 'WITHSCORES')
  retryAfter = math.max(1, tonumber(oldest[2]) + windowMs - now)
end
return { 0, math.max(0, limit - count), retryAfter }
