--[[
  stripe-credit: the second half of a transfer (see stripe-take.lua): adds the units in flight to
  the receiving stripe's stock, once per transfer id (a marker `credit:<id>`, SET NX), so the
  taker, a recovering repair and a count that settles transfers may all credit the same transfer
  and it counts once. The giving stripe's `transit` entry is removed afterwards by the caller.

  KEYS[1] the receiving stripe's meta
  ARGV[1] transfer id   ARGV[2] units   ARGV[3] retention of the marker (ms)
  Returns 1 credited now, 0 credited before, -1 the stripe is not warm (nothing written: the
  units stay in flight, and a reload replaces them)
]]
local meta = KEYS[1]
local base = string.sub(meta, 1, -5)
if redis.call('HGET', meta, 'warm') ~= '1' then return -1 end
if redis.call('SET', base .. 'credit:' .. ARGV[1], '1', 'NX', 'PX', tonumber(ARGV[3])) then
  redis.call('INCRBY', base .. 'stock', tonumber(ARGV[2]))
  return 1
end
return 0
