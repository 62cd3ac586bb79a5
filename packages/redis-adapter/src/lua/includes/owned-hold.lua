--[[
  owned-hold: the checks of a script that acts on the caller's live hold (confirm, release,
  extend), in this order: the sale is warm (SALE_NOT_WARM, writing nothing); the hold is this
  sale's (NOT_FOUND: none, or a live record (HELD, CONFIRMED) of another load of the sale, which a
  partial loss left: its `gen` is not the meta's); it is the caller's (NOT_OWNER); it is HELD and
  not expired by `now`, even before the sweeper ran (EXPIRED, NOT_HELD). An ended record answers
  as it ended: it is the tombstone that keeps the worker from holding a released hold again.
  Needs `hold`, `meta`, `userId` and `now` (a number). Leaves `h` = {userId, status, expiresAt,
  reservationId, quantity, seatIds, gen} of the hold.
]]
local m = redis.call('HMGET', meta, 'warm', 'gen')
if m[1] ~= '1' then return { 'REFUSED', 'SALE_NOT_WARM' } end
local h = redis.call('HMGET', hold, 'userId', 'status', 'expiresAt', 'reservationId', 'quantity', 'seatIds', 'gen')
local orphan = (h[7] or '') ~= (m[2] or '') and (h[2] == 'HELD' or h[2] == 'CONFIRMED')
if not h[1] or orphan then return { 'REFUSED', 'NOT_FOUND' } end
if h[1] ~= userId then return { 'REFUSED', 'NOT_OWNER' } end
if h[2] == 'EXPIRED' then return { 'REFUSED', 'EXPIRED' } end
if h[2] ~= 'HELD' then return { 'REFUSED', 'NOT_HELD' } end
if tonumber(h[3]) <= now then return { 'REFUSED', 'EXPIRED' } end
