--[[
  stripe-take: the first half of a transfer of free units between two stripes of a striped sale
  (see striped-inventory-store.ts). Takes `want` units, or a quarter of the stripe's free units
  when that is more (fewer transfers while the sale sells down), but never more than it has, off the
  stripe's stock and records them in flight under the transfer id, in ONE atomic step: at any
  moment a unit is in one stripe's stock, in one hold, or in flight, never in two places, so a
  borrow can never oversell. Takes nothing while the stripe is not warm, or frozen by a repair
  (which must count every unit once).

  KEYS[1] the giving stripe's meta `…sr:{saleId~stripe}:meta`
  ARGV[1] transfer id   ARGV[2] the receiving stripe's index   ARGV[3] want (units)   ARGV[4] now (ms)
  Keys built from the base: stock (string), transit (hash transfer id -> '<to>:<units>')
  Returns the units taken (0: none), or -1 while a repair freezes the stripe
]]
local meta = KEYS[1]
local base = string.sub(meta, 1, -5)
local m = redis.call('HMGET', meta, 'warm', 'frozenUntil')
if m[1] ~= '1' then return 0 end
if m[2] and tonumber(m[2]) > tonumber(ARGV[4]) then return -1 end
local free = tonumber(redis.call('GET', base .. 'stock') or '0')
if free <= 0 then return 0 end
local take = math.min(free, math.max(tonumber(ARGV[3]), math.floor(free / 4)))
redis.call('DECRBY', base .. 'stock', take)
redis.call('HSET', base .. 'transit', ARGV[1], ARGV[2] .. ':' .. take)
return take
