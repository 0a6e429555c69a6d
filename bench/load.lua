-- wrk script for `python -m bench load` (bench/load.py).
--
--   wrk ... -s bench/load.lua <base url> -- <ids file>
--       POST /v1/orders/{id}/check with {"station_id":"bench"}, each for an id drawn
--       at random from the file (one order id a line); the key from GUARD_BENCH_KEY.
--   wrk ... -s bench/load.lua <url>
--       the url itself, as plain wrk would request it (GET).
--
-- done() prints one line, "WRK {json}", for the bench to read.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

local ids = {}
local fixed

function init(args)
  if args[1] == nil then
    fixed = wrk.format()
    return
  end
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  math.randomseed(seed)
  wrk.method = "POST"
  wrk.body = '{"station_id":"bench"}'
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("GUARD_BENCH_KEY")
end

function request()
  if fixed then
    return fixed
  end
  return wrk.format(nil, "/v1/orders/" .. ids[math.random(#ids)] .. "/check")
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"p50_us": %.0f, "p99_us": %.0f}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
