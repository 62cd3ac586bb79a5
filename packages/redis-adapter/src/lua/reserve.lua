--[[
  reserve: the hot path in ONE atomic call. Checks, in order, that the sale is warm, the
  idempotency key (a repeat answers the original hold), the user's admission, the kind of
  selection, unknown seats, the tickets-per-user limit, taken seats, the stock and that the
  reservation id is not a live hold's (the order of the in-memory reference); then
  decrements the stock, holds the units/seats with their expiry, indexes the expiry, records
  the outcome under the idempotency key and writes the hold's outbox entry (so the hold is
  durable for the pipeline the moment "held" is answered). A refusal changes nothing. While the
  outbox's oldest entry is older than ARGV[14], new holds are refused PIPELINE_STALLED.
  Logic uses ARGV now, never the server's clock; PEXPIRE is garbage collection only.

  KEYS[1] meta        hash   initialStock, ticketsPerUser, kind, held, confirmed, warm
  KEYS[2] stock       string units free to sell
  KEYS[3] seats       hash   seatId -> A | H | C
  KEYS[4] users       hash   userId -> units held or confirmed
  KEYS[5] idempotency hash   idempotency key -> reservation id
  KEYS[6] expiry      zset   reservation id -> expiresAt of live holds
  KEYS[7] admitted    zset   userId -> admission expiry
  KEYS[8] hold        hash   the new hold record
  KEYS[9] hold timer  string real PX twin of the hold, for keyspace notifications
  KEYS[10] outbox     zset   reservation id -> when held, of holds not yet handed to the pipeline
  ARGV[1] key base `…sr:{saleId}:` (builds the key of a replayed hold)
  ARGV[2] saleId   ARGV[3] userId   ARGV[4] reservationId   ARGV[5] idempotency key
  ARGV[6] request fingerprint   ARGV[7] 'quantity' | 'seats'   ARGV[8] quantity
  ARGV[9] holdMs   ARGV[10] '1' to require admission   ARGV[11] now (ms)
  ARGV[12] retention (ms) for garbage collection   ARGV[13] '1' to set the hold timer
  ARGV[14] the outbox gate: refuse PIPELINE_STALLED while the oldest entry is older (ms); 0 = off
  ARGV[15..] seat ids (for 'seats')
  Returns {'HELD', '0'|'1' replayed, field, value, …}  (the hold record)
       or {'REFUSED', code, seatId…}
       or {'ERROR', 'RESERVATION_EXISTS'}
]]
local meta, stock, seats, users, idem, expiry, admitted, holdKey, timerKey, outbox =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local base, saleId, userId, reservationId, idemKey, fingerprint, kind =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local quantity = tonumber(ARGV[8])
local holdMs = tonumber(ARGV[9])
local requireAdmission = ARGV[10] == '1'
local now = tonumber(ARGV[11])
local retention = tonumber(ARGV[12])
local withTimer = ARGV[13] == '1'
local relayLagLimit = tonumber(ARGV[14])
local seatIds = {}
for i = 15, #ARGV do seatIds[#seatIds + 1] = ARGV[i] end

local function answerHold(key, replayed)
  local reply = { 'HELD', replayed }
  for _, v in ipairs(redis.call('HGETALL', key)) do reply[#reply + 1] = v end
  return reply
end

local sale = redis.call('HMGET', meta, 'warm', 'kind', 'ticketsPerUser')
if sale[1] ~= '1' then return { 'REFUSED', 'SALE_NOT_WARM' } end

local prior = redis.call('HGET', idem, idemKey)
if prior then
  local priorKey = base .. 'hold:' .. prior
  local priorFingerprint = redis.call('HGET', priorKey, 'fingerprint')
  if priorFingerprint then
    if priorFingerprint ~= fingerprint then return { 'REFUSED', 'IDEMPOTENCY_KEY_REUSED' } end
    return answerHold(priorKey, '1')
  end
end

-- the outbox gate: while the pipeline is this far behind, new holds would only pile up
if relayLagLimit > 0 then
  local oldest = redis.call('ZRANGE', outbox, 0, 0, 'WITHSCORES')
  if oldest[2] and now - tonumber(oldest[2]) > relayLagLimit then return { 'REFUSED', 'PIPELINE_STALLED' } end
end

if requireAdmission then
  local admittedUntil = redis.call('ZSCORE', admitted, userId)
  if not admittedUntil or tonumber(admittedUntil) <= now then return { 'REFUSED', 'NOT_ADMITTED' } end
end

if (sale[2] == 'assigned') ~= (kind == 'seats') then return { 'REFUSED', 'WRONG_SELECTION' } end

local unknown, taken = { 'REFUSED', 'UNKNOWN_SEAT' }, { 'REFUSED', 'SEAT_TAKEN' }
if kind == 'seats' then
  local states = redis.call('HMGET', seats, unpack(seatIds))
  for i, state in ipairs(states) do
    if not state then unknown[#unknown + 1] = seatIds[i]
    elseif state ~= 'A' then taken[#taken + 1] = seatIds[i] end
  end
end
if #unknown > 2 then return unknown end

local owned = tonumber(redis.call('HGET', users, userId) or '0')
if owned + quantity > tonumber(sale[3]) then return { 'REFUSED', 'LIMIT_EXCEEDED' } end

if #taken > 2 then return taken end

if tonumber(redis.call('GET', stock) or '0') < quantity then return { 'REFUSED', 'SOLD_OUT' } end

-- a reservation id of a live hold is a caller's bug (ids are made fresh per request)
local existing = redis.call('HGET', holdKey, 'status')
if existing == 'HELD' or existing == 'CONFIRMED' then return { 'ERROR', 'RESERVATION_EXISTS' } end

-- every check passed: change everything at once
redis.call('DECRBY', stock, quantity)
for _, seatId in ipairs(seatIds) do redis.call('HSET', seats, seatId, 'H') end
redis.call('HINCRBY', users, userId, quantity)
redis.call('HINCRBY', meta, 'held', quantity)
redis.call('DEL', holdKey)
local expiresAt = now + holdMs
redis.call('HSET', holdKey,
  'reservationId', reservationId, 'saleId', saleId, 'userId', userId, 'idempotencyKey', idemKey,
  'quantity', quantity, 'seatIds', table.concat(seatIds, ','), 'status', 'HELD',
  'heldAt', ARGV[11], 'expiresAt', string.format('%d', expiresAt), 'fingerprint', fingerprint)
redis.call('PEXPIRE', holdKey, holdMs + retention)
redis.call('ZADD', expiry, string.format('%d', expiresAt), reservationId)
redis.call('HSET', idem, idemKey, reservationId)
redis.call('ZADD', outbox, ARGV[11], reservationId)
if withTimer then redis.call('SET', timerKey, '1', 'PX', holdMs) end
return answerHold(holdKey, '0')
