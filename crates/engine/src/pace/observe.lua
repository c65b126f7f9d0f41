-- Learns from one answer of Front: the same rules as Budget::observe (budget.rs).
-- KEYS[1]: the company's hash; KEYS[2]: the route's block.
-- ARGV: sent_at, received_at, limit, remaining, reset (-1 when absent), throttled, route_only,
-- retry_after_ms (-1 when absent), failed, default retry-after (ms), idle expiry (ms).
local sent_at = tonumber(ARGV[1])
local received_at = tonumber(ARGV[2])
local h_limit = tonumber(ARGV[3])
local h_remaining = tonumber(ARGV[4])
local h_reset = tonumber(ARGV[5])
local throttled = ARGV[6] == '1'
local route_only = ARGV[7] == '1'
local retry_after = tonumber(ARGV[8])
local failed = ARGV[9] == '1'
local ttl = ARGV[11]
local f = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'window_end', 'window_started',
  'reset_id', 'window_ms', 'blocked_until')
local limit = tonumber(f[1] or '0')
local remaining = tonumber(f[2] or '0')
local window_end = tonumber(f[3] or '0')
local window_started = tonumber(f[4] or '0')
local reset_id = tonumber(f[5] or '0')
local window_ms = tonumber(f[6] or '0')
local blocked_until = tonumber(f[7] or '0')
local function save()
  redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', remaining, 'window_end', window_end,
    'window_started', window_started, 'reset_id', reset_id, 'window_ms', window_ms,
    'blocked_until', blocked_until, 'probe_until', 0)
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if failed then
  redis.call('HSET', KEYS[1], 'probe_until', 0)
  return 0
end
if throttled then
  if retry_after < 0 then
    retry_after = tonumber(ARGV[10])
  end
  local until_ms = received_at + retry_after
  if route_only then
    local current = tonumber(redis.call('GET', KEYS[2]) or '0')
    if until_ms > current then
      redis.call('SET', KEYS[2], until_ms, 'PX', math.max(1, until_ms - received_at))
    end
    redis.call('HSET', KEYS[1], 'probe_until', 0)
    return 0
  end
  window_ms = 0
  blocked_until = math.max(blocked_until, until_ms)
  if limit > 0 then
    remaining = 0
    window_end = math.max(window_end, until_ms)
  end
  save()
  return 0
end
if h_reset < 0 then
  if limit == 0 then
    limit = -1
  end
  save()
  return 0
end
local function estimate_end(l, r, reset)
  local latest = reset * 1000
  if r ~= l - 1 then
    return latest
  end
  local longest = latest - sent_at
  local shortest = latest - 1000 - received_at
  local whole = math.floor(longest / 1000) * 1000
  if whole > shortest and whole > 0 then
    window_ms = whole
  end
  if window_ms > 0 then
    return math.min(latest, received_at + window_ms)
  end
  return latest
end
local l = math.max(h_limit, 1)
local first_answer = limit <= 0
limit = l
if first_answer then
  remaining = h_remaining
  reset_id = h_reset
  window_started = sent_at
  window_end = estimate_end(l, h_remaining, h_reset)
elseif h_reset > reset_id then
  reset_id = h_reset
  if sent_at < window_started then
    window_started = sent_at
    remaining = h_remaining
  else
    remaining = math.min(remaining, h_remaining)
  end
  window_end = estimate_end(l, h_remaining, h_reset)
elseif h_reset == reset_id and sent_at >= window_started then
  remaining = math.min(remaining, h_remaining)
  if h_remaining == l - 1 then
    window_end = estimate_end(l, h_remaining, h_reset)
  elseif window_end == 0 then
    window_end = h_reset * 1000
  end
end
save()
return 0
