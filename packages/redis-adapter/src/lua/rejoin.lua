--[[
  rejoin: puts back a waiting place the room lost (a wiped Redis) for a user whose signed queue
  pass the caller verified (issue 20). The room's config hash holds `bornAt`, the moment its
  state began (its first enter or rejoin): a pass issued at or after it was issued by the room as
  it is now, which knows what became of the place (left, evicted, admitted), so it restores
  nothing. Otherwise the counters the pass saw are restored (ticket counter to at least the
  ticket and the pass's counter; serving counter to at least the pass's, never past ticket - 1)
  and the user waits at the pass's ticket in the normal lane, unless the lost room had served
  past it (FIFO: ticket <= servedBefore, the highest serving counter the passes told of). A user the room knows (waiting in any lane, or admitted and live)
  is left as they are.

  Buyers who joined for the first time after the loss, before the counters came back, hold
  tickets taken from the forgotten counter: a returning buyer's ticket may equal or follow theirs.
  The config's `freshFrom` is the counter after the last such correction (0 at first): when a
  ticket is restored above it, every waiting user of the normal lane with a ticket in
  (freshFrom, counter] who was not restored is moved behind, in their order, with a new ticket,
  and freshFrom becomes the counter. So no new joiner keeps a ticket that collides with or comes
  before a restored one. The restored set remembers who came back with a pass.

  KEYS[1] ticket counter   KEYS[2] queue (zset)   KEYS[3] tickets (hash)   KEYS[4] heartbeats (zset)
  KEYS[5] admitted (zset user -> expiry)   KEYS[6] served (serving counter)   KEYS[7] config (hash)
  KEYS[8] restored (set)
  ARGV[1] userId   ARGV[2] ticket   ARGV[3] pass servedUpTo   ARGV[4] pass lastTicket
  ARGV[5] pass issuedAt   ARGV[6] now
  Returns {'REJOINED', ticket} | {'PRESENT'} | {'NOT_LOST'} | {'SERVED'}
]]
local seq, queue, tickets, heartbeats, admitted, served, config, restoredSet =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local userId, ticket, passServed, passLast = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local issuedAt, now = tonumber(ARGV[5]), tonumber(ARGV[6])

if redis.call('ZSCORE', queue, userId) then return { 'PRESENT' } end
local admittedUntil = redis.call('ZSCORE', admitted, userId)
if admittedUntil and tonumber(admittedUntil) > now then return { 'PRESENT' } end
local born = redis.call('HGET', config, 'bornAt')
if born and issuedAt >= tonumber(born) then return { 'NOT_LOST' } end
if not born then redis.call('HSET', config, 'bornAt', ARGV[6]) end

local last = tonumber(redis.call('GET', seq) or '0')
local highest = math.max(ticket, passLast)
if highest > last then redis.call('SET', seq, string.format('%d', highest)) end
-- what the lost room had served, as the passes tell it (servedBefore): the room since reborn may
-- have admitted higher tickets of buyers who came back first, which says nothing of this one
local servedBefore = tonumber(redis.call('HGET', config, 'servedBefore') or '0')
local restored = math.min(passServed, ticket - 1)
if restored > servedBefore then
  servedBefore = restored
  redis.call('HSET', config, 'servedBefore', string.format('%d', servedBefore))
end
if servedBefore > tonumber(redis.call('GET', served) or '0') then
  redis.call('SET', served, string.format('%d', servedBefore))
end
-- random admission counts admissions in the serving counter, not tickets: nothing to compare
local method = redis.call('HGET', config, 'method') or 'fifo'
if method ~= 'random' and ticket <= servedBefore then return { 'SERVED' } end

local freshFrom = tonumber(redis.call('HGET', config, 'freshFrom') or '0')
if ticket > freshFrom then
  local top = redis.call('GET', seq) or '0'
  local fresh = redis.call('ZRANGEBYSCORE', queue, '(' .. string.format('%d', freshFrom), top)
  for _, member in ipairs(fresh) do
    if redis.call('SISMEMBER', restoredSet, member) == 0 then
      local moved = redis.call('INCR', seq)
      redis.call('ZADD', queue, moved, member)
      redis.call('HSET', tickets, member, moved)
    end
  end
  redis.call('HSET', config, 'freshFrom', redis.call('GET', seq))
end
redis.call('SADD', restoredSet, userId)
if admittedUntil then redis.call('ZREM', admitted, userId) end
redis.call('ZADD', queue, string.format('%d', ticket), userId)
redis.call('HSET', tickets, userId, string.format('%d', ticket))
redis.call('ZADD', heartbeats, ARGV[6], userId)
return { 'REJOINED', string.format('%d', ticket) }
