--[[
  sale-control-transition: compare-and-set of a sale's lifecycle state: moves it `from` → `to`
  only if it is still `from`, so of two instances racing only one applies.

  KEYS[1] control (hash)
  ARGV[1] from   ARGV[2] to   ARGV[3] now
  Returns {'UNKNOWN'} without a record, else {'APPLIED' | 'STATE_CHANGED', field, value, ...}
]]
--- @include "sale-control-write"
local function refusal()
  if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 'STATE_CHANGED' end
end
return writeControl(KEYS[1], refusal, 'state', ARGV[2], 'updatedAt', ARGV[3])
