--[[
  sale-control-reply: a script's answer about a sale's controls: a status, then the record's
  fields as HGETALL lists them, read after the script's own change.
]]
local function controlReply(key, status)
  local reply = redis.call('HGETALL', key)
  table.insert(reply, 1, status)
  return reply
end
