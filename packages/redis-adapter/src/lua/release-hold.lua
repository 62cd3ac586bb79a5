--[[
  release-hold: owner only; gives a live hold back: stock and seats returned, the user's count
  lowered, the expiry entry cleared, the record kept as RELEASED for `retention` ms. The
  idempotency outcome stays, as expire-due's does: a replay of the key answers the released hold
  (marked replayed), never a second hold under a key the source of truth keeps unique. Its
  refusals are owned-hold's (includes/owned-hold.lua); the units go back by give-back.

  KEYS[1] hold   KEYS[2] meta   KEYS[3] stock   KEYS[4] seats   KEYS[5] users
  KEYS[6] idempotency (unused, kept so every hold script declares the same keys)
  KEYS[7] expiry   KEYS[8] hold timer
  ARGV[1] userId   ARGV[2] now   ARGV[3] retention (ms)
  Returns {'OK', field, value, …} or {'REFUSED', SALE_NOT_WARM|NOT_FOUND|NOT_OWNER|NOT_HELD|EXPIRED}
]]
local hold, meta, stock, seats, users, expiry, timer = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8]
local userId, now = ARGV[1], tonumber(ARGV[2])
--- @include "owned-hold"
--- @include "give-back"
giveBack(h[1], tonumber(h[5]), h[6], 'H', 'held')
redis.call('ZREM', expiry, h[4])
redis.call('HSET', hold, 'status', 'RELEASED')
redis.call('PEXPIRE', hold, tonumber(ARGV[3]))
redis.call('DEL', timer)
local reply = { 'OK' }
for _, v in ipairs(redis.call('HGETALL', hold)) do reply[#reply + 1] = v end
return reply
