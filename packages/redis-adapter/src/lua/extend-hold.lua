--[[
  extend-hold: owner only; pushes a live hold's expiry to now + holdMs. Refused SALE_NOT_WARM,
  writing nothing, while the sale is not warm. A live record
  (HELD, CONFIRMED) of another load of the sale (a partial loss left it: its `gen` is not the
  meta's) is no hold of this sale: NOT_FOUND. An ended one answers as it ended: it is the
  tombstone that keeps the worker from holding a released hold again.

  KEYS[1] hold record   KEYS[2] expiry index (zset)   KEYS[3] hold timer   KEYS[4] meta
  ARGV[1] userId   ARGV[2] holdMs   ARGV[3] now   ARGV[4] retention (ms)   ARGV[5] '1' timer on
  Returns {'OK', field, value, …} (the hold) or
          {'REFUSED', SALE_NOT_WARM|NOT_FOUND|NOT_OWNER|NOT_HELD|EXPIRED}
]]
local hold, expiry, timer, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local m = redis.call('HMGET', meta, 'warm', 'gen')
if m[1] ~= '1' then return { 'REFUSED', 'SALE_NOT_WARM' } end
local holdMs, now = tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', hold, 'userId', 'status', 'expiresAt', 'reservationId', 'gen')
local orphan = (h[5] or '') ~= (m[2] or '') and (h[2] == 'HELD' or h[2] == 'CONFIRMED')
if not h[1] or orphan then return { 'REFUSED', 'NOT_FOUND' } end
if h[1] ~= ARGV[1] then return { 'REFUSED', 'NOT_OWNER' } end
if h[2] == 'EXPIRED' then return { 'REFUSED', 'EXPIRED' } end
if h[2] ~= 'HELD' then return { 'REFUSED', 'NOT_HELD' } end
if tonumber(h[3]) <= now then return { 'REFUSED', 'EXPIRED' } end
local expiresAt = string.format('%d', now + holdMs)
redis.call('HSET', hold, 'expiresAt', expiresAt)
redis.call('ZADD', expiry, expiresAt, h[4])
redis.call('PEXPIRE', hold, holdMs + tonumber(ARGV[4]))
if ARGV[5] == '1' then redis.call('SET', timer, '1', 'PX', holdMs) end
local reply = { 'OK' }
for _, v in ipairs(redis.call('HGETALL', hold)) do reply[#reply + 1] = v end
return reply
