--[[
  leave-queue: leaves the queue or gives an admission up at once (frees capacity).

  KEYS[1] queue   KEYS[2] admitted   KEYS[3] heartbeats   KEYS[4] tickets
  ARGV[1] userId
  Returns 1 when the user was waiting or admitted, else 0
]]
local was = redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if was > 0 then return 1 end
return 0
