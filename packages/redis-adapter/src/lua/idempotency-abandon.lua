--[[
  idempotency-abandon: gives an in-progress claim up so the request may be tried again. A
  completed outcome stays.

  KEYS[1] record (hash)
  Returns 1 when a claim was given up, else 0
]]
if redis.call('HGET', KEYS[1], 'state') == 'in-progress' then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
