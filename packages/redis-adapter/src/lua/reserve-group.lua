--[[
  reserve-group: group allocation in ONE atomic call. The checks of reserve.lua in the same order
  (warm, idempotency key, admission, assigned seating, unknown seats, tickets-per-user limit),
  then picks the seats: the first candidate row with `size` free seats side by side gives its
  leftmost such block; otherwise, with fallback 'split', the first `size` free seats in row order.
  Then the stock and the reservation id, and the same writes as reserve.lua (the outbox entry
  and its gate included) — or nothing at all,
  so a refused group never leaves a stray hold. Logic uses ARGV now, never the server's clock.

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
  ARGV[6] request fingerprint   ARGV[7] size   ARGV[8] 'split' | 'refuse'
  ARGV[9] holdMs   ARGV[10] '1' to require admission   ARGV[11] now (ms)
  ARGV[12] retention (ms) for garbage collection   ARGV[13] '1' to set the hold timer
  ARGV[14] the outbox gate: refuse PIPELINE_STALLED while the oldest entry is older (ms); 0 = off
  ARGV[15..] the candidate rows in preference order, each `seatId,seatId,…` in seat-map order
  Returns {'HELD', '0'|'1' replayed, '0'|'1' adjacent, field, value, …}  (the hold record)
       or {'REFUSED', code, seatId…}
       or {'ERROR', 'RESERVATION_EXISTS'}
]]
local meta, stock, seats, users, idem, expiry, admitted, holdKey, timerKey, outbox =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local base, saleId, userId, reservationId, idemKey, fingerprint =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local size = tonumber(ARGV[7])
local fallback = ARGV[8]
local holdMs = tonumber(ARGV[9])
local requireAdmission = ARGV[10] == '1'
local now = tonumber(ARGV[11])
local retention = tonumber(ARGV[12])
local withTimer = ARGV[13] == '1'
local relayLagLimit = tonumber(ARGV[14])

local function answerHold(key, replayed)
  local reply = { 'HELD', replayed, redis.call('HGET', key, 'adjacent') or '0' }
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

if sale[2] ~= 'assigned' then return { 'REFUSED', 'WRONG_SELECTION' } end

-- every candidate seat's state, row by row
local rows, states = {}, {}
local unknown = { 'REFUSED', 'UNKNOWN_SEAT' }
for i = 15, #ARGV do
  local row = {}
  for seatId in string.gmatch(ARGV[i], '[^,]+') do row[#row + 1] = seatId end
  -- in chunks: unpack of a very long row would overflow Lua's stack
  for from = 1, #row, 500 do
    local to = math.min(from + 499, #row)
    local rowStates = redis.call('HMGET', seats, unpack(row, from, to))
    for j = from, to do
      local state = rowStates[j - from + 1]
      if not state then unknown[#unknown + 1] = row[j] end
      states[row[j]] = state
    end
  end
  rows[#rows + 1] = row
end
if #unknown > 2 then return unknown end

local owned = tonumber(redis.call('HGET', users, userId) or '0')
if owned + size > tonumber(sale[3]) then return { 'REFUSED', 'LIMIT_EXCEEDED' } end

-- the first row with `size` free seats side by side: its leftmost block
local picked, adjacent = nil, '0'
for _, row in ipairs(rows) do
  local run = 0
  for j, seatId in ipairs(row) do
    if states[seatId] == 'A' then run = run + 1 else run = 0 end
    if run == size then
      picked = {}
      for k = j - size + 1, j do picked[#picked + 1] = row[k] end
      adjacent = '1'
      break
    end
  end
  if picked then break end
end
if not picked then
  local free = {}
  for _, row in ipairs(rows) do
    for _, seatId in ipairs(row) do
      if states[seatId] == 'A' then free[#free + 1] = seatId end
    end
  end
  if #free < size then return { 'REFUSED', 'SOLD_OUT' } end
  if fallback ~= 'split' then return { 'REFUSED', 'NO_ADJACENT_SEATS' } end
  picked = {}
  for k = 1, size do picked[k] = free[k] end
end

if tonumber(redis.call('GET', stock) or '0') < size then return { 'REFUSED', 'SOLD_OUT' } end

-- a reservation id of a live hold is a caller's bug (ids are made fresh per request)
local existing = redis.call('HGET', holdKey, 'status')
if existing == 'HELD' or existing == 'CONFIRMED' then return { 'ERROR', 'RESERVATION_EXISTS' } end

-- every check passed: change everything at once (the writes of reserve.lua)
redis.call('DECRBY', stock, size)
for _, seatId in ipairs(picked) do redis.call('HSET', seats, seatId, 'H') end
redis.call('HINCRBY', users, userId, size)
redis.call('HINCRBY', meta, 'held', size)
redis.call('DEL', holdKey)
local expiresAt = now + holdMs
redis.call('HSET', holdKey,
  'reservationId', reservationId, 'saleId', saleId, 'userId', userId, 'idempotencyKey', idemKey,
  'quantity', size, 'seatIds', table.concat(picked, ','), 'status', 'HELD',
  'heldAt', ARGV[11], 'expiresAt', string.format('%d', expiresAt), 'fingerprint', fingerprint,
  'adjacent', adjacent)
redis.call('PEXPIRE', holdKey, holdMs + retention)
redis.call('ZADD', expiry, string.format('%d', expiresAt), reservationId)
redis.call('HSET', idem, idemKey, reservationId)
redis.call('ZADD', outbox, ARGV[11], reservationId)
if withTimer then redis.call('SET', timerKey, '1', 'PX', holdMs) end
return answerHold(holdKey, '0')
