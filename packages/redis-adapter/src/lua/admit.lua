--[[
  admit: one admission tick. Drops lapsed admissions, then moves up to ARGV max of the first
  waiting users (lowest tickets) into the admitted set, scored by now + sessionMs, without ever
  passing maxActive admitted at once, and advances the serving counter.

  KEYS[1] queue   KEYS[2] tickets   KEYS[3] heartbeats   KEYS[4] admitted   KEYS[5] served
  ARGV[1] max   ARGV[2] maxActive   ARGV[3] sessionMs   ARGV[4] now
  Returns {servedUpTo, active, admittedUntil, user1, ticket1, user2, ticket2, …}
]]
local queue, tickets, heartbeats, admitted, served = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local max, maxActive, sessionMs, now =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local lapsed = redis.call('ZRANGEBYSCORE', admitted, '-inf', ARGV[4])
for _, userId in ipairs(lapsed) do
  redis.call('ZREM', admitted, userId)
  redis.call('HDEL', tickets, userId)
end
local active = redis.call('ZCARD', admitted)
local room = math.min(max, maxActive - active)
local servedUpTo = tonumber(redis.call('GET', served) or '0')
local untilMs = string.format('%d', now + sessionMs)
local reply = {}
if room > 0 then
  -- scores below 0 are the priority lane (first); from 1e15 on, the pre-queue, which waits for
  -- open-pre-queue (see enter.lua); the real ticket is in the tickets hash
  local popped = redis.call('ZRANGEBYSCORE', queue, '-inf', '(1e15', 'WITHSCORES', 'LIMIT', 0, room)
  for i = 1, #popped, 2 do
    local userId, score = popped[i], tonumber(popped[i + 1])
    local ticket = redis.call('HGET', tickets, userId) or popped[i + 1]
    redis.call('ZREM', queue, userId)
    redis.call('ZADD', admitted, untilMs, userId)
    redis.call('ZREM', heartbeats, userId)
    if score >= 0 and score > servedUpTo then servedUpTo = score end
    reply[#reply + 1] = userId
    reply[#reply + 1] = ticket
  end
  redis.call('SET', served, servedUpTo)
end
local head = { tostring(servedUpTo), tostring(redis.call('ZCARD', admitted)), untilMs }
for _, v in ipairs(reply) do head[#head + 1] = v end
return head
