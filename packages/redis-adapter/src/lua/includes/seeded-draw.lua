--[[
  seeded-draw: `below(n)`, a uniform integer in [0, n) from a combined LCG (L'Ecuyer 1988) whose
  state is the locals `s1` (1..2147483562) and `s2` (1..2147483398), seeded from ARGV: the script
  stays deterministic for replication and the client brings the entropy. Rejection sampling over
  the generator's 2147483562 values keeps every result equally likely.
]]
local function below(n)
  local limit = math.floor(2147483562 / n) * n
  while true do
    s1 = (40014 * s1) % 2147483563
    s2 = (40692 * s2) % 2147483399
    local z = (s1 - s2) % 2147483562
    if z < limit then return z % n end
  end
end
