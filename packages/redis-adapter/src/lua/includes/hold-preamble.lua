--[[
  hold-preamble: the checks every hold-making script makes first, in this order (the in-memory
  reference's): the sale is warm; the idempotency key (a repeat answers the original hold,
  {'REPLAYED', field values in HOLD_FIELDS order}, or IDEMPOTENCY_KEY_REUSED for another
  request); the outbox gate (PIPELINE_STALLED while the oldest unrelayed hold is older than the
  limit, checked after the replay so a repeat still gets its answer); admission.
  Leaves `sale` = {warm, kind, ticketsPerUser, gen} of the sale's meta. `gen` names the load that
  wrote the sale (warm-up or rebuild): a hold record of another load is not this sale's (a
  partial loss of the sale's keys can leave such orphans), so it is never replayed.
]]
--- @include "hold-request"
local HOLD_FIELDS = { 'reservationId', 'saleId', 'userId', 'idempotencyKey', 'quantity', 'seatIds',
  'status', 'heldAt', 'expiresAt', 'adjacent' }

local sale = redis.call('HMGET', meta, 'warm', 'kind', 'ticketsPerUser', 'gen')
local gen = sale[4] or ''
if sale[1] ~= '1' then return { 'REFUSED', 'SALE_NOT_WARM' } end

local prior = redis.call('HGET', idem, idemKey)
if prior then
  local priorKey = base .. 'hold:' .. prior
  local p = redis.call('HMGET', priorKey, 'fingerprint', 'gen')
  local priorFingerprint = p[1]
  if priorFingerprint and (p[2] or '') == gen then
    if priorFingerprint ~= fingerprint then return { 'REFUSED', 'IDEMPOTENCY_KEY_REUSED' } end
    return { 'REPLAYED', unpack(redis.call('HMGET', priorKey, unpack(HOLD_FIELDS))) }
  end
end

-- the outbox gate: while the pipeline is this far behind, new holds would only pile up
if lagArg ~= '0' then
  local oldest = redis.call('ZRANGE', base .. 'outbox', 0, 0, 'WITHSCORES')
  if oldest[2] and now - tonumber(oldest[2]) > tonumber(lagArg) then return { 'REFUSED', 'PIPELINE_STALLED' } end
end

if admissionFlag == '2' then return { 'REFUSED', 'NOT_ADMITTED' } end
if admissionFlag == '1' then
  local admittedUntil = redis.call('ZSCORE', base .. 'admitted', userId)
  if not admittedUntil or tonumber(admittedUntil) <= now then return { 'REFUSED', 'NOT_ADMITTED' } end
end
