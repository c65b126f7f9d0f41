-- The company's state in KEYS[1], as Budget holds it (budget.rs): read the same way by
-- acquire.lua and observe.lua, each of which is appended to this file.
local f = redis.call('HMGET', KEYS[1], 'limit', 'window_ms', 'rtt_ms', 'win_start', 'win_end',
  'used', 'search_used', 'blocked_until', 'probe_until')
local limit = tonumber(f[1] or '0')
local window_ms = tonumber(f[2] or '0')
local rtt = tonumber(f[3] or '0')
local win_start = tonumber(f[4] or '0')
local win_end = tonumber(f[5] or '0')
local used = tonumber(f[6] or '0')
local search_used = tonumber(f[7] or '0')
local blocked_until = tonumber(f[8] or '0')
local probe_until = tonumber(f[9] or '0')
