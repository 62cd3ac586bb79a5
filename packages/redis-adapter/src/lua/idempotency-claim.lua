--[[
  idempotency-claim: claims a key for a request, or answers what the key already holds. A key
  whose logical lifetime (by ARGV now) has ended counts as absent.

  KEYS[1] record (hash: state in-progress|done, fingerprint, outcome, expiresAt)
  ARGV[1] fingerprint   ARGV[2] ttlMs   ARGV[3] now   ARGV[4] retention (ms) for garbage collection
  Returns {'claimed'} | {'in-progress'} | {'done', outcome JSON} | {'mismatch'}
]]
local now = tonumber(ARGV[3])
local r = redis.call('HMGET', KEYS[1], 'state', 'fingerprint', 'outcome', 'expiresAt')
if r[1] and tonumber(r[4]) > now then
  if r[2] ~= ARGV[1] then return { 'mismatch' } end
  if r[1] == 'done' then return { 'done', r[3] } end
  return { 'in-progress' }
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'in-progress', 'fingerprint', ARGV[1],
  'expiresAt', string.format('%d', now + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[4]))
return { 'claimed' }
