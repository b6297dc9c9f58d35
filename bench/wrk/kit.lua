-- What every script of the kit shares. wrk finds it through LUA_PATH, set by the kit.
local kit = {}

-- The bearer header of BENCH_TOKEN, or no header at all when the kit sends no token.
function kit.headers()
  local headers = {}
  local token = os.getenv("BENCH_TOKEN")
  if token then
    headers["Authorization"] = "Bearer " .. token
  end
  return headers
end

-- One JSON line for the kit to read, after wrk's own summary. wrk counts time in
-- microseconds, and counts a response whose status is 400 or more as a status error.
function kit.done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_s": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, '
      .. '"socket_errors": %d, "bad_status": %d}\n',
    summary.requests,
    summary.duration / 1e6,
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    errors.connect + errors.read + errors.write + errors.timeout,
    errors.status
  ))
end

return kit
