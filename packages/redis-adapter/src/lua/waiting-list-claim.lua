--[[
  waiting-list-claim: the offered party claims its offer, exactly once however many claims race:
  the entry becomes CLAIMED and the offer's hold lives `holdMs` from now (time to pay). Claims
  by anyone else, for another offer id, after the deadline or after the hold expired change nothing.
  The claimed hold is a reservation from then on: its outbox entry is written in the same step.
  Refused SALE_NOT_WARM, writing nothing, while the sale is not warm. An offer's live hold
  of another load of the sale (its `gen` is not the meta's: a partial loss left it) is
  NOT_OFFERED.

  KEYS[1] order   zset   userId -> place of live entries
  KEYS[2] expiry  zset   reservation id -> expiresAt of live holds
  KEYS[3] entry   hash   the claiming user's entry
  KEYS[4] hold    hash   the offer's hold record
  KEYS[5] outbox  zset   reservation id -> when held, of holds not yet handed to the pipeline
  KEYS[6] meta    hash   the sale's meta (warm)
  ARGV[1] userId   ARGV[2] offerId   ARGV[3] holdMs   ARGV[4] now (ms)   ARGV[5] retention (ms)
  Returns {'OK', field, value, …} (the hold) or {'REFUSED', code}
]]
local order, expiry, entry, hold, outbox, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local m = redis.call('HMGET', meta, 'warm', 'gen')
if m[1] ~= '1' then return { 'REFUSED', 'SALE_NOT_WARM' } end
local userId, offerId = ARGV[1], ARGV[2]
local holdMs, now, retention = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])

local e = redis.call('HMGET', entry, 'state', 'offerId', 'deadline')
local h = redis.call('HMGET', hold, 'status', 'gen')
local status = h[1]
if (h[2] or '') ~= (m[2] or '') and (status == 'HELD' or status == 'CONFIRMED') then status = false end
if not e[1] or e[2] ~= offerId or not status then return { 'REFUSED', 'NOT_OFFERED' } end
if e[1] == 'CLAIMED' then return { 'REFUSED', 'ALREADY_CLAIMED' } end
if e[1] ~= 'OFFERED' or status ~= 'HELD' or tonumber(e[3]) <= now then return { 'REFUSED', 'OFFER_EXPIRED' } end

local expiresAt = string.format('%d', now + holdMs)
redis.call('HSET', entry, 'state', 'CLAIMED')
redis.call('PEXPIRE', entry, holdMs + retention)
redis.call('ZREM', order, userId)
redis.call('HSET', hold, 'expiresAt', expiresAt)
redis.call('PEXPIRE', hold, holdMs + retention)
redis.call('ZADD', expiry, expiresAt, offerId)
redis.call('ZADD', outbox, ARGV[4], offerId)
local reply = { 'OK' }
for _, v in ipairs(redis.call('HGETALL', hold)) do reply[#reply + 1] = v end
return reply
