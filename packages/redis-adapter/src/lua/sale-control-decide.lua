--[[
  sale-control-decide: stores the adaptive controller's decision and applies its rate and pause,
  unless a newer admission lease holder (a greater fencing token) has written already.

  KEYS[1] control (hash)
  ARGV[1] fencing token   ARGV[2] usersPerInterval   ARGV[3] paused (1|0)
  ARGV[4] decision (JSON)   ARGV[5] now
  Returns {'UNKNOWN'} without a record, else {'APPLIED' | 'STALE_FENCE', field, value, ...}
]]
--- @include "sale-control-write"
local function refusal()
  if tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') > tonumber(ARGV[1]) then return 'STALE_FENCE' end
end
return writeControl(KEYS[1], refusal, 'fence', ARGV[1], 'rate', ARGV[2], 'paused', ARGV[3],
  'decision', ARGV[4], 'updatedAt', ARGV[5])
