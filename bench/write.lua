-- wrk script: authenticated writes. $MODE=create POSTs new drafts; $MODE=update PATCHes
-- random articles from $PATHS (ids, one per line) with If-Match: *.
local mode = os.getenv("MODE")
local ids = {}
if mode == "update" then
  for line in io.lines(os.getenv("PATHS")) do
    if #line > 0 then ids[#ids + 1] = line end
  end
end
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"
local n = 0
math.randomseed(os.time())
request = function()
  n = n + 1
  if mode == "create" then
    local body = '{"title":"Bench draft ' .. n .. '-' .. math.random(1000000000) ..
      '","body":[{"type":"paragraph","text":"Written under load."}],"tags":["bench"]}'
    return wrk.format("POST", "/v1/articles", nil, body)
  end
  local id = ids[math.random(#ids)]
  wrk.headers["If-Match"] = "*"
  return wrk.format("PATCH", "/v1/articles/" .. id, nil, '{"standfirst":"Updated ' .. n .. '"}')
end
