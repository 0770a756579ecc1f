-- wrk script: POST Relaybox webhook deliveries, one per request, each with its own event id,
-- so that every request is a deduplication miss that runs the handlers, as real traffic is.
--
--   wrk -t1 -c8 -d3s -s wrk-webhooks.lua http://127.0.0.1:8000/relaybox/webhooks -- FILE THREADS
--
-- FILE holds one delivery per line, "<signature> <body>", signed beforehand (Lua has no
-- HMAC); THREADS is wrk's -t, and thread i sends lines i, i + THREADS, ... so that no two
-- threads send the same id. Past the last line a thread starts again from its first, which
-- sends duplicates: make FILE longer than the run's requests (endpoints.py checks it).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk-json.lua") -- done(): the JSON summary line

local created = 0
function setup(thread)
  thread:set("thread_number", created)
  created = created + 1
end

local requests = {}
local sent = 0

function init(args)
  local stride = tonumber(args[2]) or 1
  local line_number = 0
  for line in io.lines(args[1]) do
    if line_number % stride == (thread_number or 0) then
      local signature, body = line:match("^(%x+) (.+)$")
      requests[#requests + 1] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["X-RelayBox-Webhook-Signature"] = signature,
      }, body)
    end
    line_number = line_number + 1
  end
end

function request()
  sent = sent % #requests + 1
  return requests[sent]
end
