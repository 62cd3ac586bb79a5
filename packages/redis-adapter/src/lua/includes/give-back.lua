--[[
  give-back: `giveBack(userId, quantity, seatIds, seat, counter)` puts a hold's units back on sale:
  the stock grows by `quantity`, each of its seats (`seatIds`, comma-separated) still in state
  `seat` ('H' held, 'C' confirmed) becomes available, the user's count and the meta's `counter`
  ('held' or 'confirmed') drop by `quantity`. Needs `stock`, `seats`, `users` and `meta`.
]]
local function giveBack(userId, quantity, seatIds, seat, counter)
  redis.call('INCRBY', stock, quantity)
  for seatId in string.gmatch(seatIds, '[^,]+') do
    if redis.call('HGET', seats, seatId) == seat then redis.call('HSET', seats, seatId, 'A') end
  end
  redis.call('HINCRBY', users, userId, -quantity)
  redis.call('HINCRBY', meta, counter, -quantity)
end
