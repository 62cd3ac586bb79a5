--[[
  release-hold: owner only; gives a live hold back: stock and seats returned, the user's count
  lowered, the expiry entry cleared, the record kept as RELEASED for `retention` ms. The
  idempotency outcome stays, as expire-due's does: a replay of the key answers the released hold
  (marked replayed), never a second hold under a key the source of truth keeps unique. Refused
  SALE_NOT_WARM, writing nothing, while the sale is not warm. A live record
  (HELD, CONFIRMED) of another load of the sale (a partial loss left it: its `gen` is not the
  meta's) is no hold of this sale: NOT_FOUND. An ended one answers as it ended: it is the
  tombstone that keeps the worker from holding a released hold again.

  KEYS[1] hold   KEYS[2] meta   KEYS[3] stock   KEYS[4] seats   KEYS[5] users
  KEYS[6] idempotency (unused, kept so every hold script declares the same keys)
  KEYS[7] expiry   KEYS[8] hold timer
  ARGV[1] userId   ARGV[2] now   ARGV[3] retention (ms)
  Returns {'OK', field, value, …} or {'REFUSED', SALE_NOT_WARM|NOT_FOUND|NOT_OWNER|NOT_HELD|EXPIRED}
]]
local hold, meta, stock, seats, users, expiry, timer = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8]
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
redis.call('INCRBY', stock, quantity)
for seatId in string.gmatch(h[6], '[^,]+') do
  if redis.call('HGET', seats, seatId) == 'H' then redis.call('HSET', seats, seatId, 'A') end
end
redis.call('HINCRBY', users, h[1], -quantity)
redis.call('HINCRBY', meta, 'held', -quantity)
redis.call('ZREM', expiry, h[4])
redis.call('HSET', hold, 'status', 'RELEASED')
redis.call('PEXPIRE', hold, tonumber(ARGV[3]))
redis.call('DEL', timer)
local reply = { 'OK' }
for _, v in ipairs(redis.call('HGETALL', hold)) do reply[#reply + 1] = v end
return reply
