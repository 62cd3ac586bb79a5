--[[
  lease-acquire: grants a loop's lease when nobody holds it (never granted, released, or expired),
  with a fencing token one greater than any earlier grant of the name. The counter never
  expires, so tokens never go back.

  KEYS[1] lease (hash holder, token; PX = ttl)   KEYS[2] fencing counter
  ARGV[1] holder   ARGV[2] ttl (ms)
  Returns the new fencing token (> 0) when granted, 0 while someone holds the lease
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'token', token)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token
