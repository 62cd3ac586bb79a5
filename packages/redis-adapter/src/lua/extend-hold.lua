--[[
  extend-hold: owner only; pushes a live hold's expiry to now + holdMs. Its refusals are
  owned-hold's (includes/owned-hold.lua).

  KEYS[1] hold record   KEYS[2] expiry index (zset)   KEYS[3] hold timer   KEYS[4] meta
  ARGV[1] userId   ARGV[2] holdMs   ARGV[3] now   ARGV[4] retention (ms)   ARGV[5] '1' timer on
  Returns {'OK', field, value, …} (the hold) or
          {'REFUSED', SALE_NOT_WARM|NOT_FOUND|NOT_OWNER|NOT_HELD|EXPIRED}
]]
local hold, expiry, timer, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local userId, holdMs, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
--- @include "owned-hold"
local expiresAt = string.format('%d', now + holdMs)
redis.call('HSET', hold, 'expiresAt', expiresAt)
redis.call('ZADD', expiry, expiresAt, h[4])
redis.call('PEXPIRE', hold, holdMs + tonumber(ARGV[4]))
if ARGV[5] == '1' then redis.call('SET', timer, '1', 'PX', holdMs) end
local reply = { 'OK' }
for _, v in ipairs(redis.call('HGETALL', hold)) do reply[#reply + 1] = v end
return reply
