--[[
  sale-control-revoke: revokes a user's invitations to a sale that has controls.

  KEYS[1] control (hash)   KEYS[2] revoked invitations (hash userId → 1)
  ARGV[1] userId
  Returns 1, or 0 when the sale has no controls
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], 1)
return 1
