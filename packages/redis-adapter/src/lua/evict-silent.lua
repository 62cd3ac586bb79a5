--[[
  evict-silent: removes up to `limit` waiting users whose last heartbeat is older than
  silentSince (strictly), from the queue, the heartbeat index and the ticket map.

  KEYS[1] heartbeats   KEYS[2] queue   KEYS[3] tickets
  ARGV[1] silentSince   ARGV[2] limit
  Returns the evicted user ids
]]
local silent = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, userId in ipairs(silent) do
  redis.call('ZREM', KEYS[1], userId)
  redis.call('ZREM', KEYS[2], userId)
  redis.call('HDEL', KEYS[3], userId)
end
return silent
