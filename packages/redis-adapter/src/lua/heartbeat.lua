--[[
  heartbeat: marks a waiting user alive. An admitted user (live admission) is in the room too
  and needs no heartbeat.

  KEYS[1] queue   KEYS[2] heartbeats   KEYS[3] admitted
  ARGV[1] userId   ARGV[2] now
  Returns 1 when the user is in the room, else 0
]]
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[1])
  return 1
end
local untilMs = redis.call('ZSCORE', KEYS[3], ARGV[1])
if untilMs and tonumber(untilMs) > tonumber(ARGV[2]) then return 1 end
return 0
