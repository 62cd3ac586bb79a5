--[[
  readmit: puts back an admission the room lost (a wiped Redis, a failover that lost the last
  writes) for a user whose signed admission token the caller verified. A user the room knows
  (admitted and live, or in the queue, any lane) is left as they are; otherwise the user is
  admitted until ARGV until, unless maxActive admissions are live.

  KEYS[1] queue   KEYS[2] admitted
  ARGV[1] userId   ARGV[2] until   ARGV[3] maxActive   ARGV[4] now
  Returns {'READMITTED', until} | {'PRESENT'} | {'FULL'}
]]
local queue, admitted = KEYS[1], KEYS[2]
local userId, maxActive, now = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
local current = redis.call('ZSCORE', admitted, userId)
if current and tonumber(current) > now then return { 'PRESENT' } end
if redis.call('ZSCORE', queue, userId) then return { 'PRESENT' } end
-- live admissions only: lapsed ones are the admission step's to drop
local active = redis.call('ZCOUNT', admitted, '(' .. ARGV[4], '+inf')
if active >= maxActive then return { 'FULL' } end
redis.call('ZADD', admitted, ARGV[2], userId)
return { 'READMITTED', ARGV[2] }
