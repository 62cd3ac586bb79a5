--[[
  join-queue: idempotent join. A live admission or a waiting place is answered as it is (a
  refresh or a second tab keeps its place); otherwise INCR hands out the next ticket, which is
  the user's score in the queue (strict FCFS, no clock). Joining counts as a heartbeat. While the
  room's pre-queue collects (see enter.lua), a new user goes there instead, ticket 0, so no join
  path gets ahead of the opening shuffle.

  KEYS[1] ticket counter   KEYS[2] queue (zset user -> ticket)   KEYS[3] tickets (hash)
  KEYS[4] heartbeats (zset user -> last beat)   KEYS[5] admitted (zset user -> expiry)
  KEYS[6] queue config (hash; optional)
  ARGV[1] userId   ARGV[2] now
  Returns {state 'WAITING'|'ADMITTED', ticket, admittedUntil or '', '1' already joined | '0',
           lane '' | 'priority' | 'pre-queue'}
]]
local seq, queue, tickets, heartbeats, admitted = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local userId, now = ARGV[1], tonumber(ARGV[2])
local waiting = redis.call('ZSCORE', queue, userId)
if waiting then
  redis.call('ZADD', heartbeats, 'GT', ARGV[2], userId)
  -- the ticket hash holds the real ticket of a priority or pre-queued user (their score is banded)
  local score, lane = tonumber(waiting), ''
  if score < 0 then lane = 'priority' elseif score >= 1e15 then lane = 'pre-queue' end
  return { 'WAITING', redis.call('HGET', tickets, userId) or waiting, '', '1', lane }
end
local admittedUntil = redis.call('ZSCORE', admitted, userId)
if admittedUntil then
  if tonumber(admittedUntil) > now then
    return { 'ADMITTED', redis.call('HGET', tickets, userId) or '0', admittedUntil, '1' }
  end
  -- a lapsed admission is gone: the user starts again at the back
  redis.call('ZREM', admitted, userId)
end
if KEYS[6] and redis.call('HGET', KEYS[6], 'preQueue') == '1' then
  local arrival = redis.call('HINCRBY', KEYS[6], 'arrivals', 1)
  redis.call('ZADD', queue, 'NX', string.format('%d', 1e15 + arrival), userId)
  redis.call('HSET', tickets, userId, 0)
  redis.call('ZADD', heartbeats, ARGV[2], userId)
  return { 'WAITING', '0', '', '0', 'pre-queue' }
end
local ticket = redis.call('INCR', seq)
redis.call('ZADD', queue, 'NX', ticket, userId)
redis.call('HSET', tickets, userId, ticket)
redis.call('ZADD', heartbeats, ARGV[2], userId)
return { 'WAITING', tostring(ticket), '', '0' }
