-- wrk script: POSTs pre-made request bodies (one JSON document per line of
-- the file named by the first script argument) round-robin, each thread
-- starting at its own offset. Usage:
--   wrk -s bench/issue.lua URL -- BODIES_FILE [AUTH_HEADER_VALUE]
local bodies = {}
local index = 0
local thread_count = 0
local threads = {}
created = 0  -- per thread: answers with a certificate (201, or 200 from cfssl)

function setup(thread)
  thread:set("offset", thread_count * 7919)
  thread_count = thread_count + 1
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[2] and args[2] ~= "" then wrk.headers["Authorization"] = args[2] end
  index = offset or 0
end

function request()
  index = index + 1
  return wrk.format(nil, nil, nil, bodies[(index % #bodies) + 1])
end

function response(status, headers, body)
  if status == 201 or status == 200 then created = created + 1 end
end

-- One summary line the driver parses: requests, certificates (201/200),
-- seconds, p50, p99 (µs). A 202 (parked, e.g. key generation queue full)
-- is an answer but not a certificate.
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("created") end
  io.write(string.format("RESULT requests=%d created=%d seconds=%.3f p50_us=%d p99_us=%d\n",
    summary.requests, total, summary.duration / 1e6, latency:percentile(50), latency:percentile(99)))
end
