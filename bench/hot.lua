-- wrk script: GET a random slug from the hot set (one per line in $SLUGS).
local slugs = {}
for line in io.lines(os.getenv("SLUGS")) do
  if #line > 0 then slugs[#slugs + 1] = line end
end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/v1/articles/" .. slugs[math.random(#slugs)])
end
