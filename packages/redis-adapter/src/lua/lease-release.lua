--[[
  lease-release: gives a lease up if it is still the caller's grant, so another instance can take
  it at once. The fencing counter stays.

  KEYS[1] lease
  ARGV[1] holder   ARGV[2] fencing token
  Returns 1 when released, 0 when the grant was already lost
]]
local held = redis.call('HMGET', KEYS[1], 'holder', 'token')
if held[1] == ARGV[1] and held[2] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
