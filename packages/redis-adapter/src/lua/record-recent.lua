--[[
  record-recent: the bot guard's sliding memory of one key: drops what fell out of the window,
  records `member` as seen now, keeps at most `keep` most recent members, and lets the key expire
  once nobody touches it (the memory bound).

  KEYS[1] sorted set: member → when last seen
  ARGV[1] member (unique per event when counting events)   ARGV[2] now   ARGV[3] window (ms)
  ARGV[4] keep   ARGV[5] key lifetime (ms): the window plus slack for clock skew
  Returns how many members were seen within the window (at most keep)
]]
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
redis.call('ZADD', KEYS[1], now, ARGV[1])
local keep = tonumber(ARGV[4])
local count = redis.call('ZCARD', KEYS[1])
if count > keep then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, count - keep - 1)
  count = keep
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return count
