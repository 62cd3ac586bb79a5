--[[
  admit-next: one admission step under the room's method. Drops lapsed admissions, then admits
  up to ARGV max users without passing maxActive: the priority lane first (lowest scores), then
  the normal lane in FIFO order or, under 'random', drawn uniformly among the normal lane. A
  candidate silent since before silentSince has disappeared past the grace period: they lose the
  place (removed, not admitted) and the next one is taken. Admits nothing while the pre-queue is
  still collecting. The serving counter moves to the highest ticket admitted (FIFO) or by one per
  admission (random). The random draw is a combined LCG (L'Ecuyer 1988) seeded from ARGV, so the
  script stays deterministic for replication and the client brings the entropy.

  KEYS[1] queue   KEYS[2] tickets   KEYS[3] heartbeats   KEYS[4] admitted   KEYS[5] served
  KEYS[6] config
  ARGV[1] max   ARGV[2] maxActive   ARGV[3] sessionMs   ARGV[4] now   ARGV[5] silentSince or ''
  ARGV[6] seed1 (1..2147483562)   ARGV[7] seed2 (1..2147483398)
  Returns {servedUpTo, active, admittedUntil, preQueueClosed '1'|'0', lapsedCount,
           lapsed1…, user1, ticket1, user2, ticket2, …}
]]
local queue, tickets, heartbeats, admitted, served, config =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local max, maxActive, sessionMs, now =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local silentSince = tonumber(ARGV[5])
local s1, s2 = tonumber(ARGV[6]), tonumber(ARGV[7])
local BAND = 1e15
local MAX_LAPSED = 1000

--- @include "seeded-draw"

local lapsedAdmissions = redis.call('ZRANGEBYSCORE', admitted, '-inf', ARGV[4])
for _, userId in ipairs(lapsedAdmissions) do
  redis.call('ZREM', admitted, userId)
  redis.call('HDEL', tickets, userId)
end
local servedUpTo = tonumber(redis.call('GET', served) or '0')
local untilMs = string.format('%d', now + sessionMs)
if redis.call('HGET', config, 'preQueue') == '1' then
  return { tostring(servedUpTo), tostring(redis.call('ZCARD', admitted)), untilMs, '1', '0' }
end
local method = redis.call('HGET', config, 'method') or 'fifo'
local slots = math.min(max, maxActive - redis.call('ZCARD', admitted))
local admittedNow, lapsed = {}, {}
local count = 0
while count < slots and #lapsed < MAX_LAPSED do
  local userId, score
  local head = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
  if #head == 0 then break end
  if tonumber(head[2]) < 0 or method ~= 'random' then
    userId, score = head[1], tonumber(head[2])
  else
    local priority = redis.call('ZCOUNT', queue, '-inf', '(0')
    local normal = redis.call('ZCOUNT', queue, 0, '(' .. string.format('%d', BAND))
    if normal == 0 then break end
    local index = priority + below(normal)
    local pick = redis.call('ZRANGE', queue, index, index, 'WITHSCORES')
    userId, score = pick[1], tonumber(pick[2])
  end
  if score >= BAND then break end
  redis.call('ZREM', queue, userId)
  local beat = tonumber(redis.call('ZSCORE', heartbeats, userId) or '0')
  redis.call('ZREM', heartbeats, userId)
  if silentSince and beat < silentSince then
    redis.call('HDEL', tickets, userId)
    lapsed[#lapsed + 1] = userId
  else
    local ticket = redis.call('HGET', tickets, userId) or string.format('%d', score)
    redis.call('ZADD', admitted, untilMs, userId)
    if score >= 0 then
      -- random: the counter counts admissions, so it moves at the admission rate (ETAs stay
      -- right) instead of jumping to the highest ticket drawn, telling everyone they are next
      if method == 'random' then
        servedUpTo = servedUpTo + 1
      elseif tonumber(ticket) > servedUpTo then
        servedUpTo = tonumber(ticket)
      end
    end
    admittedNow[#admittedNow + 1] = userId
    admittedNow[#admittedNow + 1] = ticket
    count = count + 1
  end
end
redis.call('SET', served, servedUpTo)
local reply = { tostring(servedUpTo), tostring(redis.call('ZCARD', admitted)), untilMs, '0', tostring(#lapsed) }
for _, v in ipairs(lapsed) do reply[#reply + 1] = v end
for _, v in ipairs(admittedNow) do reply[#reply + 1] = v end
return reply
