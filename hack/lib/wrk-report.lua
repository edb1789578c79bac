-- wrk script used by hack/lib/wrk.ts. Prints the run's results as one line,
--   WRK_JSON {...}
-- so nothing depends on wrk's human-readable output. Given a header name after "--", it
-- also counts responses by that header's value (e.g. X-Served-By, to see how requests
-- spread over replicas); without one, wrk skips response parsing and runs at full speed.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  count_header = args[1] and string.lower(args[1]) or nil
  if count_header == nil then
    response = nil -- wrk only parses responses when this global is a function
  end
end

function response(status, headers, body)
  local value = "(none)"
  for name, v in pairs(headers) do
    if string.lower(name) == count_header then
      value = v
      break
    end
  end
  counts[value] = (counts[value] or 0) + 1
end

local function json_string(s)
  local escaped = string.gsub(s, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. escaped .. '"'
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local thread_counts = thread:get("counts")
    if thread_counts then
      for value, n in pairs(thread_counts) do
        merged[value] = (merged[value] or 0) + n
      end
    end
  end
  local parts = {}
  for value, n in pairs(merged) do
    table.insert(parts, json_string(value) .. ":" .. string.format("%d", n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"duration_us":%.0f,"requests":%.0f,"bytes":%.0f,' ..
    '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%.0f,"p50":%.0f,"p90":%.0f,"p99":%.0f},' ..
    '"counts":{%s}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    table.concat(parts, ",")))
end
