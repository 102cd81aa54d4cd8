-- GET a deep page: one of the paths in BENCH_DEEP_PATHS (a file, one
-- /api/v1/streamers/ID/replays?limit=20&cursor=... per line, found by following
-- next_cursor through the API beforehand), chosen at random per request.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local paths = {}

function init(args)
  seed_random()
  for line in io.lines(os.getenv("BENCH_DEEP_PATHS")) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no deep-page paths in " .. os.getenv("BENCH_DEEP_PATHS")) end
end

function request()
  return wrk.format("GET", paths[math.random(1, #paths)])
end
