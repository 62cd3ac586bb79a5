--[[
  confirm-hold: owner only; HELD -> CONFIRMED, permanently: seats become C, the units move from
  held to confirmed, the expiry entry goes and the record loses its garbage-collection TTL.
  Refused once the hold has expired (by ARGV now), even before the sweeper ran. Refused
  SALE_NOT_WARM, writing nothing, while the sale is not warm (a wiped store: no partial meta).
  A live record
  (HELD, CONFIRMED) of another load of the sale (a partial loss left it: its `gen` is not the
  meta's) is no hold of this sale: NOT_FOUND. An ended one answers as it ended: it is the
  tombstone that keeps the worker from holding a released hold again.

  KEYS[1] hold   KEYS[2] meta   KEYS[3] seats   KEYS[4] expiry   KEYS[5] hold timer
  ARGV[1] userId   ARGV[2] now
  Returns {'OK', field, value, …} or {'REFUSED', SALE_NOT_WARM|NOT_FOUND|NOT_OWNER|NOT_HELD|EXPIRED}
]]
local hold, meta, seats, expiry, timer = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local m = redis.call('HMGET', meta, 'warm', 'gen')
if m[1] ~= '1' then return { 'REFUSED', 'SALE_NOT_WARM' } end
local h = redis.call('HMGET', hold, 'userId', 'status', 'expiresAt', 'reservationId', 'quantity', 'seatIds', 'gen')
local orphan = (h[7] or '') ~= (m[2] or '') and (h[2] == 'HELD' or h[2] == 'CONFIRMED')
if not h[1] or orphan then return { 'REFUSED', 'NOT_FOUND' } end
if h[1] ~= ARGV[1] then return { 'REFUSED', 'NOT_OWNER' } end
if h[2] == 'EXPIRED' then return { 'REFUSED', 'EXPIRED' } end
if h[2] ~= 'HELD' then return { 'REFUSED', 'NOT_HELD' } end
if tonumber(h[3]) <= tonumber(ARGV[2]) then return { 'REFUSED', 'EXPIRED' } end
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
