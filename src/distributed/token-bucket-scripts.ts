/**
 * Lua scripts of the fleet's token buckets: each runs atomically inside Redis and reads the time
 * from Redis (`TIME`), so every process of the fleet, on any machine, sees one clock and one level.
 * A bucket is a hash `{ level, at }`: `level` tokens at Redis time `at` (ms), refilled continuously
 * at `refill` tokens per ms up to `capacity`; a missing bucket is full. Numbers travel as strings
 * (Lua numbers returned to Redis would be cut to integers). @internal
 */

/**
 * Admits a call when every bucket holds its cost (a cost above capacity waits for a full bucket)
 * and the fleet is not paused; then takes the cost from each bucket.
 * KEYS[1]: the pause key (Redis ms until which nobody starts); KEYS[2..n+1]: the buckets.
 * ARGV: for each bucket: capacity, refill per ms, cost.
 * Returns { admitted 1|0, wait ms, now ms, index of the limiting bucket (0: the pause) }.
 */
export const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
local limitedBy = -1
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then
  wait = paused - now
  limitedBy = 0
end
local levels = {}
for i = 2, #KEYS do
  local base = (i - 2) * 3
  local capacity = tonumber(ARGV[base + 1])
  local refill = tonumber(ARGV[base + 2])
  local cost = tonumber(ARGV[base + 3])
  local state = redis.call('HMGET', KEYS[i], 'level', 'at')
  local level = tonumber(state[1])
  local at = tonumber(state[2])
  if level == nil or at == nil then
    level = capacity
    at = now
  end
  if now > at then level = math.min(capacity, level + (now - at) * refill) end
  levels[i] = level
  local missing = math.min(cost, capacity) - level
  if missing > 1e-9 then
    local ms = math.ceil(missing / refill - 1e-6)
    if ms > wait then
      wait = ms
      limitedBy = i - 1
    end
  end
end
if wait > 0 then
  return { 0, tostring(wait), tostring(now), limitedBy }
end
for i = 2, #KEYS do
  local base = (i - 2) * 3
  local capacity = tonumber(ARGV[base + 1])
  local refill = tonumber(ARGV[base + 2])
  local cost = tonumber(ARGV[base + 3])
  local level = levels[i] - cost
  redis.call('HSET', KEYS[i], 'level', tostring(level), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil((capacity - level) / refill) + 60000)
end
return { 1, '0', tostring(now), -1 }
`;

/**
 * Corrects buckets after a call by what it really used: a positive delta takes more tokens (the
 * level may go below zero: a debt later refills pay back), a negative one gives tokens back.
 * KEYS: the buckets. ARGV: for each bucket: capacity, refill per ms, delta.
 */
export const SETTLE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  local base = (i - 1) * 3
  local capacity = tonumber(ARGV[base + 1])
  local refill = tonumber(ARGV[base + 2])
  local delta = tonumber(ARGV[base + 3])
  local state = redis.call('HMGET', KEYS[i], 'level', 'at')
  local level = tonumber(state[1])
  local at = tonumber(state[2])
  if level == nil or at == nil then
    level = capacity
    at = now
  end
  if now > at then level = math.min(capacity, level + (now - at) * refill) end
  level = math.min(capacity, level - delta)
  redis.call('HSET', KEYS[i], 'level', tostring(level), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil((capacity - level) / refill) + 60000)
end
return 1
`;

/** Pauses the fleet: nobody is admitted before Redis time + ARGV[1] ms (never shortens a pause). KEYS[1]: the pause key. */
export const PAUSE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then
  redis.call('SET', KEYS[1], tostring(untilMs), 'PX', tonumber(ARGV[1]) + 1000)
end
return tostring(math.max(untilMs, current))
`;
