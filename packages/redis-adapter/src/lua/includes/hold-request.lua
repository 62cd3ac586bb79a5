--[[
  hold-request: the arguments of a script that makes a hold (reserve, reserve-group), packed so a
  call sends 7 arguments instead of 25 (the client's cost is per argument). Every key of the sale
  is built from KEYS[1]: they share its hash tag, so they live in its slot, on a single node as on
  a Redis Cluster (ACL key patterns still see every key the script touches).

  KEYS[1] meta  `…sr:{saleId}:meta`  hash  initialStock, ticketsPerUser, kind, held, confirmed, warm
  ARGV[1] reservationId   ARGV[2] userId   ARGV[3] idempotency key   ARGV[4] request fingerprint
  ARGV[5] settings `<mode><admission 0|1|2><timer 0|1>:<units>:<holdMs>:<now>:<retention>:<relayLagLimit>`
          mode is the script's own letter; admission 1 = check the admitted set, 2 = the caller
          found the user not admitted (a stripe of a striped sale has no admitted set of its own);
          now (ms) is the request's clock, never the server's; retention (ms) is garbage
          collection only; relayLagLimit (ms) is the outbox gate, 0 = off
  Keys built from the base `…sr:{saleId}:`: stock (string, units free), seats (hash seatId ->
  A | H | C), users (hash userId -> units held or confirmed), idem (hash idempotency key ->
  reservation id), expiry (zset reservation id -> expiresAt of live holds), admitted (zset
  userId -> admission expiry), outbox (zset reservation id -> when held, not yet relayed),
  hold:<id> (hash, the hold record), timer:<id> (string with a real PX, for keyspace events)
]]
local meta = KEYS[1]
local base = string.sub(meta, 1, -5)
-- a stripe of a striped sale (see striped-inventory-store.ts) is tagged `{saleId~<stripe>}`: the
-- sale id is the tag up to the `~`, which no sale id contains
local saleId = string.match(base, '{([^}~]*)[^}]*}:$')
local reservationId, userId, idemKey, fingerprint = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local mode, admissionFlag, timerFlag, unitsArg, holdMsArg, nowArg, retentionArg, lagArg =
  string.match(ARGV[5], '^(%a)([012])([01]):(%d+):(%d+):(%d+):(%d+):(%d+)$')
local units, holdMs, now = tonumber(unitsArg), tonumber(holdMsArg), tonumber(nowArg)
local stock, seats, users, idem = base .. 'stock', base .. 'seats', base .. 'users', base .. 'idem'
local holdKey = base .. 'hold:' .. reservationId
