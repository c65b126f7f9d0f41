-- Asks for one slot of a company's budget: the same rules as Budget::acquire (budget.rs).
-- KEYS[1]: the company's hash; KEYS[2]: the route's block (a Unix-ms string with an expiry).
-- ARGV: now (Unix ms), probe lease (ms), soft wait (ms), idle expiry of the hash (ms).
-- Returns {go, until, firm}: go = 1 to send now, else wait until `until` (firm = 1: a known time).
local now = tonumber(ARGV[1])
local route_blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
local f = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'window_end', 'window_started',
  'blocked_until', 'probe_until')
local limit = tonumber(f[1] or '0')
local remaining = tonumber(f[2] or '0')
local window_end = tonumber(f[3] or '0')
local window_started = tonumber(f[4] or '0')
local blocked_until = math.max(tonumber(f[5] or '0'), route_blocked)
local probe_until = tonumber(f[6] or '0')
local function keep()
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
if blocked_until > now then
  return {0, blocked_until, 1}
end
if limit == 0 then
  if probe_until > now then
    return {0, probe_until, 0}
  end
  redis.call('HSET', KEYS[1], 'probe_until', now + tonumber(ARGV[2]))
  keep()
  return {1, 0, 0}
end
if limit < 0 then
  return {1, 0, 0}
end
if window_end > 0 and now >= window_end then
  remaining = limit
  window_end = 0
  window_started = now
end
if remaining > 0 then
  redis.call('HSET', KEYS[1], 'remaining', remaining - 1, 'window_end', window_end,
    'window_started', window_started)
  keep()
  return {1, 0, 0}
end
redis.call('HSET', KEYS[1], 'remaining', remaining, 'window_end', window_end,
  'window_started', window_started)
keep()
if window_end > 0 then
  return {0, window_end, 1}
end
return {0, now + tonumber(ARGV[3]), 0}
