-- Reserves one slot of a company's budget: the same rules as Budget::acquire (budget.rs).
-- KEYS[1]: the company's hash; KEYS[2]: the route class's hash (its burst limit).
-- ARGV: now, deadline (Unix ms), search (1/0), probe lease, default window, default burst,
-- burst period, search share (percent), margin (ms), idle expiry of both keys (ms).
-- Returns {kind, time, window}: kind 1 = go at `time` (reserved, counted in `window`),
-- 0 = wait for the probe until `time`, 2 = refused (the first slot, at `time`, is too late).
local now = tonumber(ARGV[1])
local deadline = tonumber(ARGV[2])
local search = ARGV[3] == '1'
local default_window = tonumber(ARGV[5])
local default_burst = tonumber(ARGV[6])
local period = tonumber(ARGV[7])
local share_percent = tonumber(ARGV[8])
local margin = tonumber(ARGV[9])
local ttl = ARGV[10]
local b = redis.call('HMGET', KEYS[2], 'burst', 'blocked_until', 'recent')
local learnt_burst = tonumber(b[1] or '0')
local class_blocked = tonumber(b[2] or '0')
local recent = {}
for t in string.gmatch(b[3] or '', '[^,]+') do
  recent[#recent + 1] = tonumber(t)
end
local burst = learnt_burst
if burst <= 0 then
  if limit > 0 then burst = default_burst else burst = 0 end
end
local function reserve(at, keep)
  if keep <= 0 then
    return
  end
  recent[#recent + 1] = at
  local first = math.max(1, #recent - keep + 1)
  local kept = {}
  for i = first, #recent do
    kept[#kept + 1] = string.format('%d', recent[i])
  end
  redis.call('HSET', KEYS[2], 'recent', table.concat(kept, ','))
  redis.call('PEXPIRE', KEYS[2], ttl)
end
if limit == 0 then
  if blocked_until > deadline then
    return {2, blocked_until, 0}
  end
  local until_ms = math.max(probe_until, blocked_until)
  if until_ms > now then
    return {0, until_ms, 0}
  end
  redis.call('HSET', KEYS[1], 'probe_until', now + tonumber(ARGV[4]))
  redis.call('PEXPIRE', KEYS[1], ttl)
  -- Counted in its class's burst whatever the limit turns out to be.
  reserve(now, math.max(burst, default_burst))
  return {1, now, 0}
end
local at = math.max(now, blocked_until, class_blocked)
if burst > 0 and #recent >= burst then
  at = math.max(at, recent[#recent - burst + 1] + period + rtt + margin)
end
if limit > 0 then
  local share = math.max(1, math.floor(limit * share_percent / 100))
  local length = window_ms
  if length <= 0 then length = default_window end
  -- The latest reservation's window may lie ahead: nothing goes before it opens.
  at = math.max(at, win_start)
  while true do
    if at >= win_end then
      win_start = at
      win_end = at + length + rtt + margin
      used = 0
      search_used = 0
    end
    local room = used < limit and ((not search) or search_used < share)
      and at < win_end - 2 * rtt - margin
    if room then
      break
    end
    at = math.max(at, win_end + margin)
  end
end
if at > deadline then
  return {2, at, 0}
end
if limit > 0 then
  used = used + 1
  if search then
    search_used = search_used + 1
  end
  redis.call('HSET', KEYS[1], 'win_start', win_start, 'win_end', win_end, 'used', used,
    'search_used', search_used)
  redis.call('PEXPIRE', KEYS[1], ttl)
end
reserve(at, burst)
return {1, at, win_start}
