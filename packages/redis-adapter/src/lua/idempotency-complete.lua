--[[
  idempotency-complete: stores the outcome of a claimed key, answered to every repeat until
  now + ttlMs.

  KEYS[1] record (hash)
  ARGV[1] outcome JSON   ARGV[2] ttlMs   ARGV[3] now   ARGV[4] retention (ms)
  Returns 1
]]
redis.call('HSET', KEYS[1], 'state', 'done', 'outcome', ARGV[1],
  'expiresAt', string.format('%d', tonumber(ARGV[3]) + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[4]))
return 1
