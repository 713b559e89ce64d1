-- wrk script for the 60 s memory run: cycles through public pages, the login form and the
-- dashboard; only the dashboard request carries the session cookie (SESSION_COOKIE variable).
local paths = {"/", "/login", "/dashboard", "/legal/cookies", "/help/"}
local cookie = os.getenv("SESSION_COOKIE")
local n = 0
request = function()
  n = n + 1
  local path = paths[(n % #paths) + 1]
  local headers = {["X-Forwarded-Proto"] = "https"}
  if path == "/dashboard" then headers["Cookie"] = cookie end
  return wrk.format("GET", path, headers)
end
-- wrk done() hook: one JSON line with the counts and latencies bench/run.py reads.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_ms": %.3f, "p99_ms": %.3f, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
