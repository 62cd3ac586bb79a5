--[[
  reserve: the hot path in ONE atomic call. The hold preamble (warm, idempotency replay, outbox
  gate, admission), then the kind of selection, unknown seats, the tickets-per-user limit, taken
  seats, the stock and that the reservation id is not a live hold's (the order of the in-memory
  reference); then the writes of hold-write, the hold's outbox entry among them. A refusal
  changes nothing. Logic uses the request's now, never the server's clock; PEXPIRE is garbage
  collection only.

  KEYS and ARGV[1..5]: see includes/hold-request.lua; mode 'q' (a quantity) or 's' (seats),
  units = the quantity or the number of seats
  ARGV[6..] seat ids (mode 's'), in the order the hold lists them
  Returns {'HELD'}  (the hold is the request's: the client knows every field)
       or {'REPLAYED', reservationId, saleId, userId, idempotencyKey, quantity, seatIds, status,
           heldAt, expiresAt, adjacent}  (the original hold; see includes/hold-preamble.lua)
       or {'REFUSED', code, seatId…}
       or {'ERROR', 'RESERVATION_EXISTS'}
]]
--- @include "hold-preamble"
--- @include "hold-write"

if (sale[2] == 'assigned') ~= (mode == 's') then return { 'REFUSED', 'WRONG_SELECTION' } end

local seatIds = {}
local unknown, taken = { 'REFUSED', 'UNKNOWN_SEAT' }, { 'REFUSED', 'SEAT_TAKEN' }
if mode == 's' then
  for i = 6, #ARGV do seatIds[#seatIds + 1] = ARGV[i] end
  local states = redis.call('HMGET', seats, unpack(seatIds))
  for i, state in ipairs(states) do
    if not state then unknown[#unknown + 1] = seatIds[i]
    elseif state ~= 'A' then taken[#taken + 1] = seatIds[i] end
  end
end
if #unknown > 2 then return unknown end

local owned = tonumber(redis.call('HGET', users, userId) or '0')
if owned + units > tonumber(sale[3]) then return { 'REFUSED', 'LIMIT_EXCEEDED' } end

if #taken > 2 then return taken end

return holdUnits(seatIds, {}) or { 'HELD' }
