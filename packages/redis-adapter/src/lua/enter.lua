--[[
  enter: joins under the room's queueing method, pre-queue switch and the caller's lane, in one
  step. Idempotent: a user already waiting (any lane) or holding a live admission keeps it, even
  under 'reject'. Scores in the queue zset: normal lane = ticket; priority lane = ticket - 1e15
  (popped first, FIFO among themselves); pre-queue = 1e15 + arrival (popped last, and only after
  open-pre-queue gave them tickets). The tickets hash holds the real ticket (0 when pre-queued).

  KEYS[1] ticket counter   KEYS[2] queue (zset)   KEYS[3] tickets (hash)   KEYS[4] heartbeats (zset)
  KEYS[5] admitted (zset user -> expiry)   KEYS[6] served (serving counter)   KEYS[7] config (hash)
  ARGV[1] userId   ARGV[2] now   ARGV[3] lane 'normal'|'priority'|'bypass'   ARGV[4] maxActive
  ARGV[5] sessionMs   ARGV[6] admit '1' (admission runs now) | '0' (paused or not open yet: a
  passthrough arrival queues and a bypass waits in the priority lane; nobody is admitted at once)
  ARGV[7] ticketFloor   ARGV[8] servedFloor: counters the caller saw, restored when the room lost
  them (a wiped Redis) so a new joiner does not get the ticket of a buyer coming back with a queue
  pass; never lowered. The config hash's `bornAt` (when the room's state began) is set by the first
  enter or rejoin (see rejoin.lua).
  Returns {'REJECTED'} or {state 'WAITING'|'ADMITTED', ticket, admittedUntil or '',
           '1' already joined | '0', lane ''|'priority'|'pre-queue'}
]]
local seq, queue, tickets, heartbeats, admitted, served, config =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local userId, now, lane = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local maxActive, sessionMs, admitNow = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] ~= '0'
local BAND = 1e15

redis.call('HSETNX', config, 'bornAt', ARGV[2])
local ticketFloor, servedFloor = tonumber(ARGV[7] or '0'), tonumber(ARGV[8] or '0')
if ticketFloor > 0 and ticketFloor > tonumber(redis.call('GET', seq) or '0') then
  redis.call('SET', seq, string.format('%d', ticketFloor))
end
if servedFloor > 0 and servedFloor > tonumber(redis.call('GET', served) or '0') then
  redis.call('SET', served, string.format('%d', servedFloor))
end

local function laneOf(score)
  if score < 0 then return 'priority' end
  if score >= BAND then return 'pre-queue' end
  return ''
end

local waiting = redis.call('ZSCORE', queue, userId)
if waiting then
  redis.call('ZADD', heartbeats, 'GT', ARGV[2], userId)
  return { 'WAITING', redis.call('HGET', tickets, userId) or '0', '', '1', laneOf(tonumber(waiting)) }
end
local admittedUntil = redis.call('ZSCORE', admitted, userId)
if admittedUntil then
  if tonumber(admittedUntil) > now then
    return { 'ADMITTED', redis.call('HGET', tickets, userId) or '0', admittedUntil, '1', '' }
  end
  -- a lapsed admission is gone: the user starts again at the back
  redis.call('ZREM', admitted, userId)
end

local method = redis.call('HGET', config, 'method') or 'fifo'
local preQueue = redis.call('HGET', config, 'preQueue') == '1'
local hasRoom = admitNow and redis.call('ZCOUNT', admitted, '(' .. ARGV[2], '+inf') < maxActive
local untilMs = string.format('%d', now + sessionMs)

local function admitAtOnce(moveServed)
  local ticket = redis.call('INCR', seq)
  redis.call('ZADD', admitted, untilMs, userId)
  redis.call('HSET', tickets, userId, ticket)
  if moveServed then redis.call('SET', served, ticket) end
  return { 'ADMITTED', tostring(ticket), untilMs, '0', '' }
end

local function enqueue(score, ticket, laneName)
  redis.call('ZADD', queue, 'NX', string.format('%d', score), userId)
  redis.call('HSET', tickets, userId, ticket)
  redis.call('ZADD', heartbeats, ARGV[2], userId)
  return { 'WAITING', tostring(ticket), '', '0', laneName }
end

if lane == 'bypass' and hasRoom then return admitAtOnce(false) end
if lane ~= 'normal' then
  -- a bypass without capacity waits at the head of the line: the priority lane
  local ticket = redis.call('INCR', seq)
  return enqueue(ticket - BAND, ticket, 'priority')
end
if method == 'reject' then return { 'REJECTED' } end
if preQueue then
  local arrival = redis.call('HINCRBY', config, 'arrivals', 1)
  return enqueue(BAND + arrival, 0, 'pre-queue')
end
if method == 'passthrough' and hasRoom and redis.call('ZCARD', queue) == 0 then
  -- nobody waits: the serving counter moves with it, so later arrivals' positions stay right
  return admitAtOnce(true)
end
local ticket = redis.call('INCR', seq)
return enqueue(ticket, ticket, '')
