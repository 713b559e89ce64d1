-- wrk script for logged-in rows: every request carries a header of its own, as a browser's clicks
-- do (Referer, Sec-Fetch-*): a cache keyed on whole requests cannot answer it, so the page is made
-- as it is for users. Then the same JSON line as report.lua.
local counter = 0

request = function()
  counter = counter + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Referer"] = "https://app.prospectra.example/page/" .. counter
  return wrk.format(nil, nil, headers)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_ms": %.3f, "p99_ms": %.3f, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
