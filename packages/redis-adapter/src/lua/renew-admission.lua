--[[
  renew-admission: renews a live admission to now + sessionMs (never shortens it).

  KEYS[1] admitted
  ARGV[1] userId   ARGV[2] sessionMs   ARGV[3] now
  Returns 1 when renewed, 0 when the admission had lapsed or never was
]]
local untilMs = redis.call('ZSCORE', KEYS[1], ARGV[1])
local now = tonumber(ARGV[3])
if not untilMs or tonumber(untilMs) <= now then return 0 end
redis.call('ZADD', KEYS[1], 'XX', 'GT', string.format('%d', now + tonumber(ARGV[2])), ARGV[1])
return 1
