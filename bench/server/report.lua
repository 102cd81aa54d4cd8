-- Shared by the wrk scripts here: one machine-readable line at the end of a run.
-- Latencies are wrk's (microseconds, from the request's write to its response's end).
-- Shared by every script: number wrk's threads (tid), and seed each one's random
-- numbers apart.
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function seed_random()
  math.randomseed(os.time() * 1000 + tid)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
