-- wrk script for the public queries of issue 4 §5 and the area page of issue 15 (run by
-- tests/bench/run.sh). OPERATION=neighbourhood|awards (GraphQL POSTs to the URL) or page
-- (`GET /areas/{code}` on the URL's server), CODES=comma-separated GSS codes taken in
-- turn, UNCACHED=1 makes every request unique (a GraphQL comment; a `?v=N` the page
-- ignores), so the server's public caches never answer. The query texts are the same as
-- fundledger-loadgen's.
local queries = {
  neighbourhood = "query($c: GeoCode!) { neighbourhood(code: $c) { name totals { awarded disbursed awardCount } } }",
  awards = "query($c: GeoCode!) { awards(filter: { neighbourhood: $c }, first: 20) { edges { node { id title amount } } } }",
}
local page = os.getenv("OPERATION") == "page"
local query = queries[os.getenv("OPERATION") or "neighbourhood"]
assert(page or query, "OPERATION must be neighbourhood, awards or page")
local uncached = os.getenv("UNCACHED") == "1"

local codes = {}
for code in string.gmatch(os.getenv("CODES") or "E06000010", "[^,]+") do
  codes[#codes + 1] = code
end

local headers = { ["Content-Type"] = "application/json" }
local requests = {}
for i, code in ipairs(codes) do
  if page then
    requests[i] = wrk.format("GET", "/areas/" .. code)
  else
    local body = string.format('{"query":"%s","variables":{"c":"%s"}}', query, code)
    requests[i] = wrk.format("POST", nil, headers, body)
  end
end

-- Each wrk thread runs its own copy of this script: start the threads at different codes.
local sent = 0
function init(args)
  sent = math.random(#codes)
end

function request()
  sent = sent + 1
  if uncached and page then
    return wrk.format("GET", string.format("/areas/%s?v=%d", codes[(sent % #codes) + 1], sent))
  end
  if uncached then
    local code = codes[(sent % #codes) + 1]
    local body = string.format('{"query":"%s\\n# request %d","variables":{"c":"%s"}}', query, sent, code)
    return wrk.format("POST", nil, headers, body)
  end
  return requests[(sent % #requests) + 1]
end

-- GraphQL reports errors in a 200 response: count them (wrk counts only non-2xx).
graphql_errors = 0 -- global: done() reads it from each thread
function response(status, headers, body)
  if not page and string.find(body, '"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

-- ADDRS=host:port,host:port,... spreads the threads over several servers in turn (as a
-- load balancer in front of replicas would; tests/bench/replicas.sh), else all go to the URL.
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
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("graphql_errors") or 0)
  end
  io.write(string.format(
    "wrk %s%s: %d requests, %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d GraphQL errors, %d HTTP errors\n",
    os.getenv("OPERATION") or "neighbourhood", uncached and " (uncached)" or "",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
