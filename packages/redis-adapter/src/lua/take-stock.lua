--[[
  take-stock: the lock strategy's DECRBY, guarded by a fencing token. A token older than the
  highest one seen is refused (a lock holder that paused past its lease cannot write late);
  a decrement that would go below zero is put back.

  KEYS[1] stock   KEYS[2] fence (highest token seen)   KEYS[3] meta
  ARGV[1] quantity   ARGV[2] fencing token
  Returns 'TAKEN' | 'SOLD_OUT' | 'STALE_TOKEN' | 'UNKNOWN_SALE'
]]
if redis.call('HGET', KEYS[3], 'warm') ~= '1' then return 'UNKNOWN_SALE' end
local token = tonumber(ARGV[2])
local seen = tonumber(redis.call('GET', KEYS[2]) or '0')
if token < seen then return 'STALE_TOKEN' end
redis.call('SET', KEYS[2], ARGV[2])
local left = redis.call('DECRBY', KEYS[1], ARGV[1])
if left < 0 then
  redis.call('INCRBY', KEYS[1], ARGV[1])
  return 'SOLD_OUT'
end
return 'TAKEN'
