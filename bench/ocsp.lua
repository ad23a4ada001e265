-- wrk script for OCSP responders: sends pre-made DER requests (one file per
-- certificate, listed in the file named by the first argument) round-robin,
-- by POST (second argument "post") or by GET with the request base64 in
-- the path ("get"). OCSP_PEER_PORT in the environment sends the threads to
-- that port instead of the URL's, so wrk's start-up probe (a connect and
-- close, which wedges `openssl ocsp`) goes elsewhere. Usage:
--   [OCSP_PEER_PORT=P] wrk -s bench/ocsp.lua URL -- REQUEST_LIST post|get
local peer_port = os.getenv("OCSP_PEER_PORT")
local requests = {}
local index = 0
local thread_count = 0

function setup(thread)
  thread:set("offset", thread_count * 17)
  thread_count = thread_count + 1
  if peer_port and peer_port ~= "" then thread.addr = wrk.lookup("127.0.0.1", peer_port)[1] end
end

local function base64_path(der)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  local out = {}
  for i = 1, #der, 3 do
    local a, b, c = der:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    for k = 3, 0, -1 do
      local sextet = math.floor(n / 64 ^ k) % 64
      out[#out + 1] = alphabet:sub(sextet + 1, sextet + 1)
    end
    if not b then out[#out - 1], out[#out] = "=", "=" elseif not c then out[#out] = "=" end
  end
  -- RFC 6960 Appendix A.1: the base64 is URL-encoded.
  return (table.concat(out):gsub("[+/=]", function(ch) return string.format("%%%02X", ch:byte()) end))
end

function init(args)
  local mode = args[2] or "post"
  for name in io.lines(args[1]) do
    local f = io.open(name, "rb")
    local der = f:read("*all")
    f:close()
    if mode == "get" then
      requests[#requests + 1] = wrk.format("GET", wrk.path:gsub("/$", "") .. "/" .. base64_path(der))
    else
      requests[#requests + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/ocsp-request"}, der)
    end
  end
  index = offset or 0
end

function request()
  index = index + 1
  return requests[(index % #requests) + 1]
end

-- One line the driver parses: requests, non-2xx answers, seconds, p50 and p99 (µs).
function done(summary, latency, requests_done)
  io.write(string.format("RESULT requests=%d non2xx=%d errors=%d seconds=%.3f p50_us=%d p99_us=%d\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.duration / 1e6, latency:percentile(50), latency:percentile(99)))
end
