-- wrk script: GET a random path from $PATHS (one per line); with $NOCACHE set, add a unique
-- query parameter so that every request misses the response cache (measures the database path).
local paths = {}
for line in io.lines(os.getenv("PATHS")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local nocache = os.getenv("NOCACHE") ~= nil
local n = 0
math.randomseed(os.time())
request = function()
  local path = paths[math.random(#paths)]
  if nocache then
    n = n + 1
    local sep = string.find(path, "?", 1, true) and "&" or "?"
    path = path .. sep .. "nocache=" .. n .. "-" .. math.random(1000000000)
  end
  return wrk.format("GET", path)
end
