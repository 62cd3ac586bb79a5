--[[
  expire-due: expires up to `limit` holds whose expiry (by ARGV now) has passed. Each one is
  taken off the expiry index and checked HELD inside this one atomic call, so its stock comes
  back exactly once even when sweepers and the notification listener race. The idempotency
  outcome stays: a replay of the key answers the expired hold. A sale that is not warm expires
  nothing (its holds come back with the rebuild, which expires what is due); a record of an
  earlier load of the sale (its `gen` is not the meta's) is not this sale's and is left alone.

  KEYS[1] meta   KEYS[2] stock   KEYS[3] seats   KEYS[4] users   KEYS[5] idempotency (unused,
  kept so every hold script declares the same keys)   KEYS[6] expiry
  ARGV[1] key base `…sr:{saleId}:`   ARGV[2] now   ARGV[3] limit   ARGV[4] retention (ms)
  Returns a list of hold records, each a list {field, value, …}
]]
local meta, stock, seats, users, idem, expiry = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local base, now, limit, retention = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
--- @include "give-back"
local m = redis.call('HMGET', meta, 'warm', 'gen')
if m[1] ~= '1' then return {} end
local gen = m[2] or ''
local due = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, limit)
local expired = {}
for _, reservationId in ipairs(due) do
  redis.call('ZREM', expiry, reservationId)
  local hold = base .. 'hold:' .. reservationId
  local h = redis.call('HMGET', hold, 'userId', 'status', 'quantity', 'seatIds', 'idempotencyKey', 'gen')
  if h[2] == 'HELD' and (h[6] or '') == gen then
    giveBack(h[1], tonumber(h[3]), h[4], 'H', 'held')
    redis.call('HSET', hold, 'status', 'EXPIRED')
    redis.call('PEXPIRE', hold, retention)
    redis.call('DEL', base .. 'timer:' .. reservationId)
    expired[#expired + 1] = redis.call('HGETALL', hold)
  end
end
return expired
