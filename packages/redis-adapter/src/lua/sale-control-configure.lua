--[[
  sale-control-configure: writes the operator's settings (merged by the caller from the revision
  it read) only if the record is still at that revision.

  KEYS[1] control (hash)
  ARGV[1] revision read   ARGV[2] usersPerInterval   ARGV[3] intervalMs   ARGV[4] maxActive
  ARGV[5] queueing method   ARGV[6] adaptive policy (JSON, or '' for none)   ARGV[7] now
  Returns {'UNKNOWN'} without a record, else {'APPLIED' | 'REVISION_CHANGED', field, value, ...}
]]
--- @include "sale-control-reply"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'UNKNOWN'}
end
if redis.call('HGET', KEYS[1], 'revision') ~= ARGV[1] then
  return controlReply(KEYS[1], 'REVISION_CHANGED')
end
redis.call('HSET', KEYS[1], 'rate', ARGV[2], 'interval', ARGV[3], 'maxActive', ARGV[4],
  'method', ARGV[5], 'policy', ARGV[6], 'updatedAt', ARGV[7])
redis.call('HINCRBY', KEYS[1], 'revision', 1)
return controlReply(KEYS[1], 'APPLIED')
