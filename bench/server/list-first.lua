-- GET a random streamer's first page of replays: /api/v1/streamers/bench_NNNNN/replays?limit=20
-- BENCH_STREAMERS: how many streamers were seeded (bench_00000 ...).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local n_streamers = tonumber(os.getenv("BENCH_STREAMERS") or "10000")
local accept = os.getenv("BENCH_ACCEPT_ENCODING")

function init(args)
  seed_random()
  if accept and accept ~= "" then wrk.headers["Accept-Encoding"] = accept end
end

function request()
  local s = math.random(0, n_streamers - 1)
  return wrk.format("GET", string.format("/api/v1/streamers/bench_%05d/replays?limit=20", s))
end
