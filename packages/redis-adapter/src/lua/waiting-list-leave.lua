--[[
  waiting-list-leave: takes a WAITING party off the list. An OFFERED party's offer is a hold:
  it is left to be claimed or to lapse.

  KEYS[1] order  zset   userId -> place of live entries
  KEYS[2] entry  hash   the user's entry
  ARGV[1] userId
  Returns 1 when a waiting entry was removed, else 0
]]
local order, entry, userId = KEYS[1], KEYS[2], ARGV[1]
if redis.call('HGET', entry, 'state') ~= 'WAITING' then return 0 end
redis.call('DEL', entry)
redis.call('ZREM', order, userId)
return 1
