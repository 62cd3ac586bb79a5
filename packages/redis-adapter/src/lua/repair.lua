--[[
  repair: makes the store agree with the source of truth (InventoryStore.repair), never freeing
  what may be sold. Seats: the truth's confirmed seats become C unless a live hold has them (H
  stays H); a seat C here becomes A only when the truth has it neither confirmed nor pending and,
  when the caller sent the seats it saw C before reading the truth, it is one of them (a seat
  confirmed since may belong to a reservation the truth did not know yet). Units: `confirmed` is
  kept within [truth confirmed, truth confirmed + pending + confirmed here since the caller's
  reading], at most initial - held; `held` stays the live holds' units; `available` is what is
  left. Checks first and changes nothing when the truth does not fit the sale.

  KEYS[1] meta   KEYS[2] stock   KEYS[3] seats
  ARGV[1] confirmed units   ARGV[2] pending units
  ARGV[3] the confirmed units the caller saw before reading the truth, or '' (none sent)
  ARGV[4] n confirmed seat ids   ARGV[5] p pending seat ids   ARGV[6] o seats seen C, or -1 (none sent)
  ARGV[7..] the n confirmed seat ids, then the p pending ones, then the o seen C
  Returns {'UNKNOWN'} for a sale that is not loaded,
          {'INVALID', 'UNITS'} or {'INVALID', 'SEAT', path, seatId, …} for a truth that does not fit,
          else {'OK', initial, availableBefore, heldBefore, confirmedBefore, availableAfter, heldAfter, confirmedAfter}
]]
local meta, stock, seats = KEYS[1], KEYS[2], KEYS[3]
local m = redis.call('HMGET', meta, 'warm', 'initialStock', 'held', 'confirmed')
if m[1] ~= '1' then return { 'UNKNOWN' } end
local initial, heldBefore, confirmedBefore = tonumber(m[2]), tonumber(m[3] or '0'), tonumber(m[4] or '0')
local soldUnits, pendingUnits = tonumber(ARGV[1]), tonumber(ARGV[2])
local observed = ARGV[3] ~= '' and tonumber(ARGV[3]) or nil
local nSold, nPending, nSeen = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local sold, pending, seen = {}, {}, nil
local unknown = { 'INVALID', 'SEAT' }
local i = 7
local function known(set, path)
  set[ARGV[i]] = true
  if redis.call('HEXISTS', seats, ARGV[i]) == 0 then
    unknown[#unknown + 1] = path
    unknown[#unknown + 1] = ARGV[i]
  end
  i = i + 1
end
for _ = 1, nSold do known(sold, 'confirmedSeatIds') end
for _ = 1, nPending do known(pending, 'pendingSeatIds') end
if #unknown > 2 then return unknown end
if soldUnits > initial then return { 'INVALID', 'UNITS' } end
if nSeen >= 0 then
  seen = {}
  for _ = 1, nSeen do
    seen[ARGV[i]] = true
    i = i + 1
  end
end
local availableBefore = tonumber(redis.call('GET', stock) or '0')
local all = redis.call('HGETALL', seats)
for j = 1, #all, 2 do
  local seatId, state = all[j], all[j + 1]
  if sold[seatId] then
    if state == 'A' then redis.call('HSET', seats, seatId, 'C') end
  elseif state == 'C' and not pending[seatId] and (seen == nil or seen[seatId]) then
    redis.call('HSET', seats, seatId, 'A')
  end
end
-- the rule of repairedConfirmed (@seatrush/core/ports)
local since = observed and math.max(0, confirmedBefore - observed) or 0
local confirmed = math.min(math.max(confirmedBefore, soldUnits), soldUnits + pendingUnits + since)
local held = math.min(heldBefore, initial)
confirmed = math.max(0, math.min(confirmed, initial - held))
local available = initial - confirmed - held
redis.call('HSET', meta, 'confirmed', confirmed, 'held', held)
redis.call('SET', stock, available)
return { 'OK', initial, availableBefore, heldBefore, confirmedBefore, available, held, confirmed }
