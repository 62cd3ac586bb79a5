--[[
  lock-acquire: Redlock's per-node step. SET NX PX with a random owner; when granted, INCR the
  resource's fencing counter on this node, so every grant on this node gets a greater number.

  KEYS[1] lock   KEYS[2] fencing counter
  ARGV[1] owner (random)   ARGV[2] ttl (ms)
  Returns the node's fencing number (> 0) when granted, 0 when the lock is held
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
