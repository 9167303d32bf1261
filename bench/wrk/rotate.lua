-- wrk script for the floor: POST the same tooling.tokens.rotate body again and
-- again (the fake Slack's --bench-refresh-token makes the token reusable).
-- The refresh token comes from XOXE_BENCH_REFRESH_TOKEN.
wrk.method = "POST"
wrk.body = "refresh_token=" .. (os.getenv("XOXE_BENCH_REFRESH_TOKEN") or "")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

-- One JSON line that bench/run.py reads.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
