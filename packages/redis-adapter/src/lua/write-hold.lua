--[[
  write-hold: the lock strategy's "SET NX PX" step, guarded by a fencing token. Writes the same
  state as reserve (seats H, hold record, expiry entry, user count, idempotency outcome, outbox
  entry), so
  expiry, confirm and compensation work whichever strategy made the hold. A taken seat (any
  seat not A) writes nothing. The stock was taken before by take-stock.

  KEYS[1] meta   KEYS[2] seats   KEYS[3] users   KEYS[4] idempotency   KEYS[5] expiry
  KEYS[6] hold   KEYS[7] hold timer   KEYS[8] fence   KEYS[9] outbox
  ARGV[1] reservationId   ARGV[2] saleId   ARGV[3] userId   ARGV[4] idempotency key
  ARGV[5] quantity   ARGV[6] fingerprint   ARGV[7] heldAt   ARGV[8] expiresAt
  ARGV[9] fencing token   ARGV[10] retention (ms)   ARGV[11] '1' timer on   ARGV[12..] seat ids
  Returns 'HELD' | 'SEAT_TAKEN' | 'STALE_TOKEN' | 'UNKNOWN_SALE' | 'RESERVATION_EXISTS' (a live
  hold of this load of the sale has this reservation id; a record of an earlier load is replaced)
]]
local meta, seats, users, idem, expiry, hold, timer, fence, outbox =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local m = redis.call('HMGET', meta, 'warm', 'gen')
if m[1] ~= '1' then return 'UNKNOWN_SALE' end
local gen = m[2] or ''
local token = tonumber(ARGV[9])
if token < tonumber(redis.call('GET', fence) or '0') then return 'STALE_TOKEN' end
redis.call('SET', fence, ARGV[9])
local seatIds = {}
for i = 12, #ARGV do seatIds[#seatIds + 1] = ARGV[i] end
for _, seatId in ipairs(seatIds) do
  if redis.call('HGET', seats, seatId) ~= 'A' then return 'SEAT_TAKEN' end
end
local e = redis.call('HMGET', hold, 'status', 'gen')
if (e[1] == 'HELD' or e[1] == 'CONFIRMED') and (e[2] or '') == gen then return 'RESERVATION_EXISTS' end
redis.call('DEL', hold)
local quantity = tonumber(ARGV[5])
local holdMs = tonumber(ARGV[8]) - tonumber(ARGV[7])
for _, seatId in ipairs(seatIds) do redis.call('HSET', seats, seatId, 'H') end
redis.call('HINCRBY', users, ARGV[3], quantity)
redis.call('HINCRBY', meta, 'held', quantity)
redis.call('HSET', hold,
  'reservationId', ARGV[1], 'saleId', ARGV[2], 'userId', ARGV[3], 'idempotencyKey', ARGV[4],
  'quantity', ARGV[5], 'seatIds', table.concat(seatIds, ','), 'status', 'HELD',
  'heldAt', ARGV[7], 'expiresAt', ARGV[8], 'fingerprint', ARGV[6], 'gen', gen)
redis.call('PEXPIRE', hold, math.max(holdMs, 1) + tonumber(ARGV[10]))
redis.call('ZADD', expiry, ARGV[8], ARGV[1])
redis.call('HSET', idem, ARGV[4], ARGV[1])
redis.call('ZADD', outbox, ARGV[7], ARGV[1])
if ARGV[11] == '1' and holdMs > 0 then redis.call('SET', timer, '1', 'PX', holdMs) end
return 'HELD'
