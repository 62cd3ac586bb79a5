--[[
  configure-queue: changes the queueing method and/or the pre-queue switch, and answers the
  configuration in force, in one step (a concurrent join sees either the old or the new one).

  KEYS[1] config (hash)   KEYS[2] queue (zset)
  ARGV[1] method or ''   ARGV[2] preQueue '1'|'0' or ''
  ARGV[3] '1': set the method only if none was ever set (HSETNX), else ''
  Returns {method, preQueue '1'|'0', preQueued}
]]
local config, queue = KEYS[1], KEYS[2]
if ARGV[1] ~= '' then
  if ARGV[3] == '1' then
    redis.call('HSETNX', config, 'method', ARGV[1])
  else
    redis.call('HSET', config, 'method', ARGV[1])
  end
end
if ARGV[2] ~= '' then redis.call('HSET', config, 'preQueue', ARGV[2]) end
return {
  redis.call('HGET', config, 'method') or 'fifo',
  redis.call('HGET', config, 'preQueue') or '0',
  tostring(redis.call('ZCOUNT', queue, '1e15', '+inf')),
}
