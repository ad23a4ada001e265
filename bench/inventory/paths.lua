-- wrk script: GETs the paths listed in a file (one per line, the first
-- script argument), round-robin, each thread from its own offset, so every
-- request asks for something else (a random certificate, an OCSP request
-- for a random serial). Usage: wrk -s bench/inventory/paths.lua URL -- FILE
local paths = {}
local index = 0
local thread_count = 0

function setup(thread)
  thread:set("offset", thread_count * 100003)
  thread_count = thread_count + 1
end

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  index = offset or 0
end

function request()
  index = index + 1
  return wrk.format("GET", paths[(index % #paths) + 1])
end
