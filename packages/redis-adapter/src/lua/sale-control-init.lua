--[[
  sale-control-init: writes a sale's controls at revision 1 unless a record exists (every
  instance may call it at start; the first one's settings win).

  KEYS[1] control (hash)
  ARGV[1] state   ARGV[2] usersPerInterval   ARGV[3] intervalMs   ARGV[4] maxActive
  ARGV[5] queueing method   ARGV[6] adaptive policy (JSON, or '' for none)   ARGV[7] now
  Returns {'CREATED' | 'EXISTS', field, value, ...}
]]
--- @include "sale-control-reply"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return controlReply(KEYS[1], 'EXISTS')
end
redis.call('HSET', KEYS[1],
  'revision', 1, 'state', ARGV[1], 'rate', ARGV[2], 'interval', ARGV[3], 'maxActive', ARGV[4],
  'paused', 0, 'method', ARGV[5], 'policy', ARGV[6], 'decision', '', 'fence', 0, 'updatedAt', ARGV[7])
return controlReply(KEYS[1], 'CREATED')
