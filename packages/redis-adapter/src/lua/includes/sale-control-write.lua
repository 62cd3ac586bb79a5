--[[
  sale-control-write: `writeControl(key, refusal, field, value, …)`, a sale's controls changed by
  compare-and-set: {'UNKNOWN'} without a record; else `refusal()`, which reads the record and
  names the status a newer writer leaves (REVISION_CHANGED, STATE_CHANGED, STALE_FENCE) or nil;
  else the fields are written, the revision goes up by one and the answer is {'APPLIED', …}.
]]
--- @include "sale-control-reply"
local function writeControl(key, refusal, ...)
  if redis.call('EXISTS', key) == 0 then
    return {'UNKNOWN'}
  end
  local refused = refusal()
  if refused then return controlReply(key, refused) end
  redis.call('HSET', key, ...)
  redis.call('HINCRBY', key, 'revision', 1)
  return controlReply(key, 'APPLIED')
end
