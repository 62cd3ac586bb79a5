--[[
  return-stock: the lock strategy's INCRBY after a later step failed, never past what the sale
  can have free (initial - held - confirmed), so a double return cannot mint stock.

  KEYS[1] stock   KEYS[2] meta
  ARGV[1] quantity
  Returns the units available after, or -1 for a sale that is not loaded
]]
local m = redis.call('HMGET', KEYS[2], 'warm', 'initialStock', 'held', 'confirmed')
if m[1] ~= '1' then return -1 end
local most = tonumber(m[2]) - tonumber(m[3] or '0') - tonumber(m[4] or '0')
local available = math.min(tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1]), most)
redis.call('SET', KEYS[1], available)
return available
