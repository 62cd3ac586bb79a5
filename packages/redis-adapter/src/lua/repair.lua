--[[
  repair: makes the store agree with the source of truth. The given seats become C, seats
  confirmed here but not there become A, `confirmed` becomes the truth's units, `held` stays the
  live holds' units (at most initial - confirmed) and `available` becomes what is left.
  Checks first and changes nothing when the truth does not fit the sale.

  KEYS[1] meta   KEYS[2] stock   KEYS[3] seats
  ARGV[1] confirmed units   ARGV[2..] confirmed seat ids
  Returns {'UNKNOWN'} for a sale that is not loaded,
          {'INVALID', 'UNITS' | 'SEAT', seatId…} for a truth that does not fit, else
          {'OK', initial, availableBefore, heldBefore, confirmedBefore, availableAfter, heldAfter, confirmedAfter}
]]
local meta, stock, seats = KEYS[1], KEYS[2], KEYS[3]
local m = redis.call('HMGET', meta, 'warm', 'initialStock', 'held', 'confirmed')
if m[1] ~= '1' then return { 'UNKNOWN' } end
local initial, heldBefore, confirmedBefore = tonumber(m[2]), tonumber(m[3] or '0'), tonumber(m[4] or '0')
local confirmed = tonumber(ARGV[1])
local truth, unknown = {}, { 'INVALID', 'SEAT' }
for i = 2, #ARGV do
  truth[ARGV[i]] = true
  if redis.call('HEXISTS', seats, ARGV[i]) == 0 then unknown[#unknown + 1] = ARGV[i] end
end
if #unknown > 2 then return unknown end
if confirmed > initial then return { 'INVALID', 'UNITS' } end
local availableBefore = tonumber(redis.call('GET', stock) or '0')
local all = redis.call('HGETALL', seats)
for i = 1, #all, 2 do
  local seatId, state = all[i], all[i + 1]
  if truth[seatId] then
    if state ~= 'C' then redis.call('HSET', seats, seatId, 'C') end
  elseif state == 'C' then
    redis.call('HSET', seats, seatId, 'A')
  end
end
local held = math.min(heldBefore, initial - confirmed)
local available = initial - confirmed - held
redis.call('HSET', meta, 'confirmed', confirmed, 'held', held)
redis.call('SET', stock, available)
return { 'OK', initial, availableBefore, heldBefore, confirmedBefore, available, held, confirmed }
