--[[
  reserve-group: group allocation in ONE atomic call. The hold preamble of reserve.lua (warm,
  idempotency replay, outbox gate, admission), then assigned seating, unknown seats and the
  tickets-per-user limit; then picks the seats: the first candidate row with `units` free seats
  side by side gives its leftmost such block; otherwise, with mode 's' (split), the first `units`
  free seats in row order. Then the stock, the reservation id and the writes of hold-write (the
  outbox entry among them) — or nothing at all, so a refused group never leaves a stray hold.
  Logic uses the request's now, never the server's clock.

  KEYS and ARGV[1..5]: see includes/hold-request.lua; mode 's' (split when no block is free) or
  'r' (refuse NO_ADJACENT_SEATS), units = the group's size
  ARGV[6..] the candidate rows in preference order, each `seatId,seatId,…` in seat-map order
  Returns {'HELD', '0'|'1' adjacent, 'seatId,seatId,…' picked}
       or {'REPLAYED', reservationId, saleId, userId, idempotencyKey, quantity, seatIds, status,
           heldAt, expiresAt, adjacent}  (the original hold; see includes/hold-preamble.lua)
       or {'REFUSED', code, seatId…}
       or {'ERROR', 'RESERVATION_EXISTS'}
]]
--- @include "hold-preamble"
--- @include "hold-write"

if sale[2] ~= 'assigned' then return { 'REFUSED', 'WRONG_SELECTION' } end

-- every candidate seat's state, row by row
local rows, states = {}, {}
local unknown = { 'REFUSED', 'UNKNOWN_SEAT' }
for i = 6, #ARGV do
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
if owned + units > tonumber(sale[3]) then return { 'REFUSED', 'LIMIT_EXCEEDED' } end

-- the first row with `units` free seats side by side: its leftmost block
local picked, adjacent = nil, '0'
for _, row in ipairs(rows) do
  local run = 0
  for j, seatId in ipairs(row) do
    if states[seatId] == 'A' then run = run + 1 else run = 0 end
    if run == units then
      picked = {}
      for k = j - units + 1, j do picked[#picked + 1] = row[k] end
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
  if #free < units then return { 'REFUSED', 'SOLD_OUT' } end
  if mode ~= 's' then return { 'REFUSED', 'NO_ADJACENT_SEATS' } end
  picked = {}
  for k = 1, units do picked[k] = free[k] end
end

local refusal = holdUnits(picked, { 'adjacent', adjacent })
if refusal then return refusal end
return { 'HELD', adjacent, table.concat(picked, ',') }
