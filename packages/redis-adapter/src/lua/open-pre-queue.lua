--[[
  open-pre-queue: ends the pre-queue in one atomic step. Every pre-queued user (queue score
  >= 1e15) is shuffled with Fisher–Yates — a uniformly random order — and gets the next tickets
  in that order; the pre-queue switch is turned off, so anyone arriving afterwards queues FIFO
  behind them. No join can interleave: the whole shuffle is this one script. The draw is a
  combined LCG (L'Ecuyer 1988) seeded from ARGV (the client's CSPRNG), so the script stays
  deterministic for replication. Does nothing when the pre-queue is not collecting.

  KEYS[1] ticket counter   KEYS[2] queue (zset)   KEYS[3] tickets (hash)   KEYS[4] config (hash)
  ARGV[1] seed1 (1..2147483562)   ARGV[2] seed2 (1..2147483398)
  Returns {opened '1'|'0', shuffled, firstTicket, lastTicket}
]]
local seq, queue, tickets, config = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local s1, s2 = tonumber(ARGV[1]), tonumber(ARGV[2])
local BAND = 1e15

if redis.call('HGET', config, 'preQueue') ~= '1' then return { '0', '0', '0', '0' } end

--- @include "seeded-draw"

local users = redis.call('ZRANGEBYSCORE', queue, string.format('%d', BAND), '+inf')
for i = #users, 2, -1 do
  local j = below(i) + 1
  users[i], users[j] = users[j], users[i]
end
local last = tonumber(redis.call('GET', seq) or '0')
local first = last + 1
for _, userId in ipairs(users) do
  last = last + 1
  local ticket = string.format('%d', last)
  redis.call('ZADD', queue, ticket, userId)
  redis.call('HSET', tickets, userId, ticket)
end
redis.call('SET', seq, string.format('%d', last))
redis.call('HSET', config, 'preQueue', '0')
redis.call('HDEL', config, 'arrivals')
if #users == 0 then return { '1', '0', '0', '0' } end
return { '1', tostring(#users), tostring(first), string.format('%d', last) }
