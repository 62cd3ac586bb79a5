--[[
  lock-release: compare-and-delete; only the owner's value releases the lock.

  KEYS[1] lock
  ARGV[1] owner
  Returns 1 when released, 0 when the lock was someone else's or gone
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
