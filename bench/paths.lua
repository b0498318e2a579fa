-- wrk script: GET a random path from $PATHS (one per line); with $NOCACHE set, add a query
-- parameter unique to each request (run, thread and counter), so that every request misses the
-- response cache (measures the database path) and none is ever asked for twice. With $PACE_MS
-- set, each connection waits that long before each request, so that builds of different speed
-- can be compared at the same offered load (wrk times a request from its sending).
local paths = {}
for line in io.lines(os.getenv("PATHS")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local nocache = os.getenv("NOCACHE") ~= nil
local pace = tonumber(os.getenv("PACE_MS") or "")
if pace then
  function delay() return pace end
end

local threads = 0
local run = tostring(os.time())
function setup(thread)
  threads = threads + 1
  thread:set("tid", run .. "-" .. threads)
end

local n = 0
function init(args)
  -- Each thread its own sequence: `threads` counts in the main state, not in a thread's, so it
  -- was 0 in every thread and both threads asked for the same paths at the same moments.
  local n = tonumber(string.match(tid or "", "%-(%d+)$")) or 0
  math.randomseed(os.time() * 100 + n)
end

request = function()
  local path = paths[math.random(#paths)]
  if nocache then
    n = n + 1
    local sep = string.find(path, "?", 1, true) and "&" or "?"
    path = path .. sep .. "nocache=" .. (tid or 0) .. "-" .. n
  end
  return wrk.format("GET", path)
end
