--[[
  lease-renew: extends a lease by its ttl if it is still the caller's grant (same holder, same
  fencing token); a lease that expired, even if nobody took it since, is not revived.

  KEYS[1] lease
  ARGV[1] holder   ARGV[2] fencing token   ARGV[3] ttl (ms)
  Returns 1 when renewed, 0 when the grant was lost
]]
local held = redis.call('HMGET', KEYS[1], 'holder', 'token')
if held[1] == ARGV[1] and held[2] == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
