-- Gives up a probe lease whose request was abandoned before its answer was observed: the same
-- rule as Budget::release_probe (budget.rs).
-- KEYS[1]: the company's hash. ARGV[1]: the lease's end, as acquire.lua set it.
-- ARGV[2]: idle expiry (ms).
if tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0') == tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'probe_until', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
