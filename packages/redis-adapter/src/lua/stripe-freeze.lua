--[[
  stripe-freeze: stops (ARGV[1] > 0: until that time, ms) or allows again (ARGV[1] = 0) transfers
  out of a warm stripe. A repair freezes every stripe, settles the transfers in flight and only
  then counts: a unit moving between stripes while they are read would be counted zero or two
  times. The time bound frees a stripe whose repairer crashed.

  KEYS[1] the stripe's meta   ARGV[1] frozen until (ms), or 0
  Returns 1, or 0 for a stripe that is not warm (nothing written)
]]
if redis.call('HGET', KEYS[1], 'warm') ~= '1' then return 0 end
if ARGV[1] == '0' then
  redis.call('HDEL', KEYS[1], 'frozenUntil')
else
  redis.call('HSET', KEYS[1], 'frozenUntil', ARGV[1])
end
return 1
