-- wrk script: one public query by GET (tests/bench/replicas.sh), revalidated: each
-- connection sends back the ETag of the last answer it got in If-None-Match, as a CDN or
-- a browser cache does, so while nothing is written every answer is a 304 with no body
-- and no query run. CONDITIONAL=0 sends plain GETs (full answers from the public cache).
local path = "/graphql?query=%7B%20neighbourhood(code%3A%20%22E06000010%22)%20%7B%20name%20totals%20%7B%20awarded%20disbursed%20awardCount%20%7D%20%7D%20%7D"
local conditional = os.getenv("CONDITIONAL") ~= "0"
local etag = nil

function request()
  if conditional and etag then
    return wrk.format("GET", path, { ["If-None-Match"] = etag })
  end
  return wrk.format("GET", path)
end

not_modified = 0 -- global: done() reads it from each thread
function response(status, headers, body)
  if status == 304 then
    not_modified = not_modified + 1
  end
  etag = headers["etag"] or headers["ETag"] or etag
end

local addrs = {}
for hostport in string.gmatch(os.getenv("ADDRS") or "", "[^,]+") do
  local host, port = string.match(hostport, "^(.+):(%d+)$")
  addrs[#addrs + 1] = wrk.lookup(host, port)[1]
end
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  if #addrs > 0 then
    thread.addr = addrs[((#threads - 1) % #addrs) + 1]
  end
end

function done(summary, latency, requests)
  local answered_304 = 0
  for _, thread in ipairs(threads) do
    answered_304 = answered_304 + (thread:get("not_modified") or 0)
  end
  io.write(string.format(
    "wrk GET%s: %d requests, %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d answered 304, %d HTTP errors\n",
    conditional and " revalidated" or "", summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, answered_304,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
