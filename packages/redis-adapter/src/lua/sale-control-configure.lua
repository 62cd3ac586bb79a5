--[[
  sale-control-configure: writes the operator's settings (merged by the caller from the revision
  it read) only if the record is still at that revision.

  KEYS[1] control (hash)
  ARGV[1] revision read   ARGV[2] usersPerInterval   ARGV[3] intervalMs   ARGV[4] maxActive
  ARGV[5] queueing method   ARGV[6] adaptive policy (JSON, or '' for none)   ARGV[7] now
  Returns {'UNKNOWN'} without a record, else {'APPLIED' | 'REVISION_CHANGED', field, value, ...}
]]
--- @include "sale-control-write"
local function refusal()
  if redis.call('HGET', KEYS[1], 'revision') ~= ARGV[1] then return 'REVISION_CHANGED' end
end
return writeControl(KEYS[1], refusal, 'rate', ARGV[2], 'interval', ARGV[3], 'maxActive', ARGV[4],
  'method', ARGV[5], 'policy', ARGV[6], 'updatedAt', ARGV[7])
