--[[
  waiting-list-join: puts a party on a sale's waiting list, or answers its live entry unchanged
  (joining twice keeps the first place). A CLAIMED or LAPSED entry is replaced at the end.
  Refuses a party that would pass the tickets-per-user limit with what the user already has.

  KEYS[1] meta   hash   initialStock, ticketsPerUser, kind, held, confirmed, warm
  KEYS[2] users  hash   userId -> units held or confirmed
  KEYS[3] order  zset   userId -> place (seq) of live entries (WAITING, OFFERED)
  KEYS[4] seq    string INCR source of places
  KEYS[5] entry  hash   the user's entry: userId, size, fallback, seq, joinedAt, state, offerId,
                        deadline, seatIds
  ARGV[1] userId   ARGV[2] size   ARGV[3] 'split' | 'refuse'   ARGV[4] now (ms)
  Returns {'CREATED' | 'EXISTS', field, value, …} or {'REFUSED', code}
]]
local meta, users, order, seq, entry = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local userId, size, fallback, now = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]

local sale = redis.call('HMGET', meta, 'warm', 'ticketsPerUser')
if sale[1] ~= '1' then return { 'REFUSED', 'SALE_NOT_WARM' } end

local state = redis.call('HGET', entry, 'state')
if state == 'WAITING' or state == 'OFFERED' then
  local reply = { 'EXISTS' }
  for _, v in ipairs(redis.call('HGETALL', entry)) do reply[#reply + 1] = v end
  return reply
end

local owned = tonumber(redis.call('HGET', users, userId) or '0')
if owned + size > tonumber(sale[2]) then return { 'REFUSED', 'LIMIT_EXCEEDED' } end

local place = redis.call('INCR', seq)
redis.call('DEL', entry)
redis.call('HSET', entry, 'userId', userId, 'size', size, 'fallback', fallback, 'seq', place,
  'joinedAt', now, 'state', 'WAITING')
redis.call('PERSIST', entry)
redis.call('ZADD', order, place, userId)
local reply = { 'CREATED' }
for _, v in ipairs(redis.call('HGETALL', entry)) do reply[#reply + 1] = v end
return reply
