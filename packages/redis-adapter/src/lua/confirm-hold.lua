--[[
  confirm-hold: owner only; HELD -> CONFIRMED, permanently: seats become C, the units move from
  held to confirmed, the expiry entry goes and the record loses its garbage-collection TTL.
  Its refusals are owned-hold's (includes/owned-hold.lua): among them, once the hold has expired
  (by ARGV now), even before the sweeper ran, and SALE_NOT_WARM while the sale is not warm (a
  wiped store: no partial meta).

  KEYS[1] hold   KEYS[2] meta   KEYS[3] seats   KEYS[4] expiry   KEYS[5] hold timer
  ARGV[1] userId   ARGV[2] now
  Returns {'OK', field, value, …} or {'REFUSED', SALE_NOT_WARM|NOT_FOUND|NOT_OWNER|NOT_HELD|EXPIRED}
]]
local hold, meta, seats, expiry, timer = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local userId, now = ARGV[1], tonumber(ARGV[2])
--- @include "owned-hold"
local quantity = tonumber(h[5])
for seatId in string.gmatch(h[6], '[^,]+') do redis.call('HSET', seats, seatId, 'C') end
redis.call('HINCRBY', meta, 'held', -quantity)
redis.call('HINCRBY', meta, 'confirmed', quantity)
redis.call('ZREM', expiry, h[4])
redis.call('HSET', hold, 'status', 'CONFIRMED')
redis.call('PERSIST', hold)
redis.call('DEL', timer)
local reply = { 'OK' }
for _, v in ipairs(redis.call('HGETALL', hold)) do reply[#reply + 1] = v end
return reply
