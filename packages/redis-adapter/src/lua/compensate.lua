--[[
  compensate: undoes a reservation whatever its state (failed publish, failed payment, refund).
  A HELD or CONFIRMED one gives its stock and seats back and becomes COMPENSATED; a RELEASED or
  EXPIRED one already gave them back and keeps its status. The idempotency outcome stays either
  way, as expire-due's does: a replay of the key answers this reservation (marked replayed), never
  a second hold under a key the source of truth keeps unique. A second call restores nothing.
  Refused SALE_NOT_WARM, writing nothing, while the sale is not warm: stock given back into a
  wiped sale would recreate a partial meta. A live record
  (HELD, CONFIRMED) of another load of the sale (a partial loss left it: its `gen` is not the
  meta's) is no hold of this sale: NOT_FOUND. An ended one answers as it ended: it is the
  tombstone that keeps the worker from holding a released hold again.

  KEYS[1] hold   KEYS[2] meta   KEYS[3] stock   KEYS[4] seats   KEYS[5] users
  KEYS[6] idempotency (unused, kept so every hold script declares the same keys)
  KEYS[7] expiry   KEYS[8] hold timer
  ARGV[1] retention (ms)
  Returns {'OK', '1'|'0' restored, field, value, …} or {'REFUSED', 'SALE_NOT_WARM'|'NOT_FOUND'}
]]
local hold, meta, stock, seats, users, expiry, timer = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8]
--- @include "give-back"
local m = redis.call('HMGET', meta, 'warm', 'gen')
if m[1] ~= '1' then return { 'REFUSED', 'SALE_NOT_WARM' } end
local h = redis.call('HMGET', hold, 'userId', 'status', 'reservationId', 'quantity', 'seatIds', 'gen')
local orphan = (h[6] or '') ~= (m[2] or '') and (h[2] == 'HELD' or h[2] == 'CONFIRMED')
if not h[1] or orphan then return { 'REFUSED', 'NOT_FOUND' } end
local restored = '0'
if h[2] == 'HELD' or h[2] == 'CONFIRMED' then
  local held = h[2] == 'HELD'
  giveBack(h[1], tonumber(h[4]), h[5], held and 'H' or 'C', held and 'held' or 'confirmed')
  redis.call('ZREM', expiry, h[3])
  restored = '1'
end
if restored == '1' then
  redis.call('HSET', hold, 'status', 'COMPENSATED')
  redis.call('PEXPIRE', hold, tonumber(ARGV[1]))
  redis.call('DEL', timer)
end
local reply = { 'OK', restored }
for _, v in ipairs(redis.call('HGETALL', hold)) do reply[#reply + 1] = v end
return reply
