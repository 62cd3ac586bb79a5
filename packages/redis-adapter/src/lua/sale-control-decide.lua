--[[
  sale-control-decide: stores the adaptive controller's decision and applies its rate and pause,
  unless a newer admission lease holder (a greater fencing token) has written already.

  KEYS[1] control (hash)
  ARGV[1] fencing token   ARGV[2] usersPerInterval   ARGV[3] paused (1|0)
  ARGV[4] decision (JSON)   ARGV[5] now
  Returns {'UNKNOWN'} without a record, else {'APPLIED' | 'STALE_FENCE', field, value, ...}
]]
--- @include "sale-control-reply"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'UNKNOWN'}
end
if tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') > tonumber(ARGV[1]) then
  return controlReply(KEYS[1], 'STALE_FENCE')
end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'rate', ARGV[2], 'paused', ARGV[3],
  'decision', ARGV[4], 'updatedAt', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'revision', 1)
return controlReply(KEYS[1], 'APPLIED')
