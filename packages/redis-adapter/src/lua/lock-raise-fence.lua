--[[
  lock-raise-fence: raises a node's fencing counter to the token just granted (the maximum over
  the quorum), so any later quorum, which shares a node with this one, counts past it.

  KEYS[1] fencing counter
  ARGV[1] token
  Returns 1
]]
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
