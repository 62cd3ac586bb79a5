--[[
  hold-write: the end of every hold-making script. holdUnits(seatIds, extra) checks the stock
  (SOLD_OUT) and that the reservation id is no live hold's (a caller's bug: ids are made fresh
  per request; a record of an earlier load, `gen` not the meta's, is an orphan of a partial loss
  and is replaced), then changes everything at once: the stock, the seats, the user's units, the
  sale's held count, the hold record (`extra`: more field, value pairs), its expiry entry, the
  idempotency outcome, the hold's OUTBOX entry (so the hold is durable for the pipeline the
  moment "held" is answered) and, when asked, the hold timer. Answers a refusal, or nil once held.
]]
local function holdUnits(seatIds, extra)
  if tonumber(redis.call('GET', stock) or '0') < units then return { 'REFUSED', 'SOLD_OUT' } end
  local e = redis.call('HMGET', holdKey, 'status', 'gen')
  local existing = e[1]
  if (existing == 'HELD' or existing == 'CONFIRMED') and (e[2] or '') == gen then
    return { 'ERROR', 'RESERVATION_EXISTS' }
  end

  redis.call('DECRBY', stock, units)
  if #seatIds > 0 then
    local states = {}
    for _, seatId in ipairs(seatIds) do
      states[#states + 1] = seatId
      states[#states + 1] = 'H'
    end
    redis.call('HSET', seats, unpack(states))
  end
  redis.call('HINCRBY', users, userId, units)
  redis.call('HINCRBY', meta, 'held', units)
  if existing then redis.call('DEL', holdKey) end
  local expiresAt = string.format('%d', now + holdMs)
  redis.call('HSET', holdKey,
    'reservationId', reservationId, 'saleId', saleId, 'userId', userId, 'idempotencyKey', idemKey,
    'quantity', unitsArg, 'seatIds', table.concat(seatIds, ','), 'status', 'HELD',
    'heldAt', nowArg, 'expiresAt', expiresAt, 'fingerprint', fingerprint, 'gen', gen, unpack(extra))
  redis.call('PEXPIRE', holdKey, holdMs + tonumber(retentionArg))
  redis.call('ZADD', base .. 'expiry', expiresAt, reservationId)
  redis.call('HSET', idem, idemKey, reservationId)
  redis.call('ZADD', base .. 'outbox', nowArg, reservationId)
  if timerFlag == '1' then redis.call('SET', base .. 'timer:' .. reservationId, '1', 'PX', holdMs) end
  return nil
end
