--[[
  stripe-adjust: a repair's change to one stripe, relative to the stripe's state at this moment
  (holds made meanwhile move units from stock to held and change no total): the stock by ARGV[1]
  (never below zero: what could not be taken is answered), confirmed by ARGV[2], held by ARGV[3].

  KEYS[1] the stripe's meta   ARGV[1] stock change   ARGV[2] confirmed change   ARGV[3] held change
  Returns {'OK', stock change applied} or {'UNKNOWN'} for a stripe that is not warm
]]
local meta = KEYS[1]
local base = string.sub(meta, 1, -5)
if redis.call('HGET', meta, 'warm') ~= '1' then return { 'UNKNOWN' } end
local free = tonumber(redis.call('GET', base .. 'stock') or '0')
local change = math.max(tonumber(ARGV[1]), -free)
redis.call('SET', base .. 'stock', free + change)
redis.call('HINCRBY', meta, 'confirmed', tonumber(ARGV[2]))
redis.call('HINCRBY', meta, 'held', tonumber(ARGV[3]))
return { 'OK', change }
