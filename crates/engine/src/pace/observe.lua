-- Learns from one answer of Front: the same rules as Budget::observe (budget.rs).
-- KEYS[1]: the company's hash; KEYS[2]: the route class's hash.
-- ARGV: sent_at, received_at, window (the slot's), status, limit, remaining, reset (-1 when
-- absent), throttled, route_only, tier, retry_after_ms (-1 when absent), failed, search,
-- default retry-after, default burst, burst period, search share (percent), max rtt,
-- idle expiry of both keys (ms).
local sent_at = tonumber(ARGV[1])
local received_at = tonumber(ARGV[2])
local slot_window = tonumber(ARGV[3])
local status = tonumber(ARGV[4])
local h_limit = tonumber(ARGV[5])
local h_remaining = tonumber(ARGV[6])
local h_reset = tonumber(ARGV[7])
local throttled = ARGV[8] == '1'
local route_only = ARGV[9] == '1'
local tier = ARGV[10] == '1'
local retry_after = tonumber(ARGV[11])
local failed = ARGV[12] == '1'
local search = ARGV[13] == '1'
local default_burst = tonumber(ARGV[15])
local period = tonumber(ARGV[16])
local share_percent = tonumber(ARGV[17])
local max_rtt = tonumber(ARGV[18])
local ttl = ARGV[19]
local function save()
  redis.call('HSET', KEYS[1], 'limit', limit, 'window_ms', window_ms, 'rtt_ms', rtt,
    'win_start', win_start, 'win_end', win_end, 'used', used, 'search_used', search_used,
    'blocked_until', blocked_until, 'probe_until', 0)
  redis.call('PEXPIRE', KEYS[1], ttl)
end
local function share()
  return math.max(1, math.floor(limit * share_percent / 100))
end
if failed then
  save()
  return 0
end
local seen_rtt = math.min(math.max(received_at - sent_at, 0), max_rtt)
rtt = math.max(seen_rtt, rtt - math.floor(rtt / 8))
local uncounted = (throttled and route_only) or status == 503
if uncounted and slot_window == win_start and used > 0 then
  used = used - 1
  if search and search_used > 0 then
    search_used = search_used - 1
  end
end
if throttled then
  if retry_after < 0 then
    retry_after = tonumber(ARGV[14])
  end
  local until_ms = received_at + retry_after
  if route_only and search and not tier then
    if slot_window == win_start then
      search_used = share()
    end
  elseif route_only then
    local b = redis.call('HMGET', KEYS[2], 'burst', 'blocked_until', 'recent')
    local paced_at = tonumber(b[1] or '0')
    if paced_at <= 0 and limit > 0 then
      paced_at = default_burst
    end
    local sent_before = 0
    for t in string.gmatch(b[3] or '', '[^,]+') do
      local at = tonumber(t)
      if at < sent_at and at > sent_at - period then
        sent_before = sent_before + 1
      end
    end
    local burst = default_burst
    if paced_at > 0 then
      burst = math.min(paced_at, math.max(sent_before, 1))
    end
    redis.call('HSET', KEYS[2], 'burst', burst, 'blocked_until',
      math.max(tonumber(b[2] or '0'), until_ms))
    redis.call('PEXPIRE', KEYS[2], ttl)
  else
    blocked_until = math.max(blocked_until, until_ms)
    if limit > 0 and win_start <= sent_at then
      win_end = until_ms
      used = limit
    end
  end
  save()
  return 0
end
if h_reset < 0 then
  if limit == 0 and status >= 200 and status < 300 then
    limit = -1
  end
  save()
  return 0
end
local l = math.max(h_limit, 1)
local latest = h_reset * 1000
local ends = latest
if h_remaining == l - 1 then
  local longest = latest - sent_at
  local shortest = latest - 1000 - received_at
  local whole = math.floor(longest / 1000) * 1000
  if whole > shortest and whole > 0 then
    window_ms = whole
  end
  if window_ms > 0 then
    ends = math.min(ends, received_at + window_ms)
  end
end
if limit <= 0 then
  limit = l
  win_start = sent_at
  win_end = ends
  used = l - h_remaining
  search_used = search and 1 or 0
  save()
  return 0
end
limit = l
if sent_at >= win_start and sent_at < win_end then
  used = math.max(used, l - h_remaining)
  win_end = math.min(win_end, ends)
elseif sent_at >= win_end then
  -- A window nothing was booked in here (a call went late): Front's word is the latest.
  win_start = sent_at
  win_end = ends
  used = l - h_remaining
  search_used = search and 1 or 0
end
save()
return 0
