--[[
  waiting-list-offer: lapses offers past their deadline, then offers the units free now to the
  first WAITING parties they fit, in order (a party that does not fit keeps its place). An offer
  is an ordinary hold for the party whose expiry is the claim deadline, written as reserve.lua
  writes holds; on a seated sale the seats are picked as reserve-group.lua does (the first row
  with `size` adjacent free seats, else with 'split' the first free seats in row order). All in
  one atomic call, so racing calls never offer a unit twice. Logic uses ARGV now only.
  Scans every live entry: meant for waiting lists of thousands, not millions.

  KEYS[1] meta   KEYS[2] stock   KEYS[3] seats   KEYS[4] users   KEYS[5] idempotency
  KEYS[6] expiry   KEYS[7] order (zset userId -> place of live entries)
  ARGV[1] key base `…sr:{saleId}:` (entries `wl:e:<userId>`, holds `hold:<id>`)
  ARGV[2] saleId   ARGV[3] now (ms)   ARGV[4] claimMs   ARGV[5] retention (ms)
  ARGV[6] n, the number of offer ids   ARGV[7 .. 6+n] fresh offer ids (reservation ids)
  ARGV[7+n ..] the candidate rows, each `seatId,seatId,…` in seat-map order (seated sales)
  Returns a list of offers, each {offerId, userId, quantity, seatIds csv, adjacent '0'|'1', deadline}
]]
local meta, stock, seats, users, idem, expiry, order =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local base, saleId = ARGV[1], ARGV[2]
local now, claimMs, retention = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local n = tonumber(ARGV[6])
local offerIds = {}
for i = 1, n do offerIds[i] = ARGV[6 + i] end

local sale = redis.call('HMGET', meta, 'warm', 'kind', 'ticketsPerUser', 'gen')
if sale[1] ~= '1' then return {} end
-- the load that wrote the sale: a hold record of another load is an orphan of a partial loss
local gen = sale[4] or ''
local limit = tonumber(sale[3])
local assigned = sale[2] == 'assigned'

-- lapse offers past their deadline (their holds expire through the ordinary sweep)
local parties = redis.call('ZRANGE', order, 0, -1)
local waiting = {}
for _, userId in ipairs(parties) do
  local key = base .. 'wl:e:' .. userId
  local e = redis.call('HMGET', key, 'state', 'deadline', 'size', 'fallback')
  if e[1] == 'OFFERED' and tonumber(e[2]) <= now then
    redis.call('HSET', key, 'state', 'LAPSED')
    redis.call('PEXPIRE', key, retention)
    redis.call('ZREM', order, userId)
  elseif e[1] == 'WAITING' then
    waiting[#waiting + 1] = { userId = userId, key = key, size = tonumber(e[3]), fallback = e[4] }
  elseif not e[1] then
    redis.call('ZREM', order, userId) -- an entry garbage-collected away
  end
end

local available = tonumber(redis.call('GET', stock) or '0')
if available == 0 or #waiting == 0 then return {} end

-- seated: every candidate seat's state, row by row (unknown seats are never free)
local rows, states = {}, {}
if assigned then
  for i = 7 + n, #ARGV do
    local row = {}
    for seatId in string.gmatch(ARGV[i], '[^,]+') do row[#row + 1] = seatId end
    for from = 1, #row, 500 do
      local to = math.min(from + 499, #row)
      local got = redis.call('HMGET', seats, unpack(row, from, to))
      for j = from, to do states[row[j]] = got[j - from + 1] end
    end
    rows[#rows + 1] = row
  end
end

local function pick(size, fallback)
  for _, row in ipairs(rows) do
    local run = 0
    for j, seatId in ipairs(row) do
      if states[seatId] == 'A' then run = run + 1 else run = 0 end
      if run == size then
        local picked = {}
        for k = j - size + 1, j do picked[#picked + 1] = row[k] end
        return picked, '1'
      end
    end
  end
  if fallback ~= 'split' then return nil end
  local free = {}
  for _, row in ipairs(rows) do
    for _, seatId in ipairs(row) do
      if states[seatId] == 'A' and #free < size then free[#free + 1] = seatId end
    end
  end
  if #free < size then return nil end
  return free, '0'
end

local offers = {}
for _, party in ipairs(waiting) do
  if #offers == n or available == 0 then break end
  local owned = tonumber(redis.call('HGET', users, party.userId) or '0')
  if available >= party.size and owned + party.size <= limit then
    local picked, adjacent = {}, '0'
    if assigned then picked, adjacent = pick(party.size, party.fallback) end
    if picked then
      local offerId = offerIds[#offers + 1]
      local holdKey = base .. 'hold:' .. offerId
      local e = redis.call('HMGET', holdKey, 'status', 'gen')
      if (e[1] == 'HELD' or e[1] == 'CONFIRMED') and (e[2] or '') == gen then
        return redis.error_reply('RESERVATION_EXISTS ' .. offerId)
      end
      local deadline = string.format('%d', now + claimMs)
      local seatList = table.concat(picked, ',')
      redis.call('DECRBY', stock, party.size)
      available = available - party.size
      for _, seatId in ipairs(picked) do
        redis.call('HSET', seats, seatId, 'H')
        states[seatId] = 'H'
      end
      redis.call('HINCRBY', users, party.userId, party.size)
      redis.call('HINCRBY', meta, 'held', party.size)
      redis.call('DEL', holdKey)
      redis.call('HSET', holdKey,
        'reservationId', offerId, 'saleId', saleId, 'userId', party.userId,
        'idempotencyKey', 'wl.' .. offerId, 'quantity', party.size, 'seatIds', seatList,
        'status', 'HELD', 'heldAt', ARGV[3], 'expiresAt', deadline, 'fingerprint', 'waiting-list', 'gen', gen)
      redis.call('PEXPIRE', holdKey, claimMs + retention)
      redis.call('ZADD', expiry, deadline, offerId)
      redis.call('HSET', idem, 'wl.' .. offerId, offerId)
      redis.call('HSET', party.key, 'state', 'OFFERED', 'offerId', offerId, 'deadline', deadline,
        'seatIds', seatList)
      offers[#offers + 1] = { offerId, party.userId, tostring(party.size), seatList, adjacent, deadline }
    end
  end
end
return offers
