-- POST signed Tencent recording callbacks (event_type 100, the current shape, as in
-- server/tests/common/mod.rs `recording()`) to /hooks/tencent, each with a file_id of
-- its own (run tag, thread, counter), for a random seeded streamer.
-- The signature md5(key + t) does not depend on the body: BENCH_T (far in the future)
-- and BENCH_SIGN are computed once by the shell.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local n_streamers = tonumber(os.getenv("BENCH_STREAMERS") or "10000")
local t = os.getenv("BENCH_T")
local sign = os.getenv("BENCH_SIGN")
local run = os.getenv("BENCH_RUN_TAG") or tostring(os.time())
local counter = 0

function init(args)
  seed_random()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local file_id = string.format("wrk-%s-%d-%d", run, tid, counter)
  local stream = string.format("bench_%05d", math.random(0, n_streamers - 1))
  local duration = math.random(300, 10800)
  local start = os.time() - duration
  local body = string.format(
    '{"appid":1234567890,"app":"push.example.com","appname":"live","stream_id":"%s","channel_id":"%s",' ..
    '"file_id":"%s","record_file_id":"%s","file_format":"mp4","task_id":"task-1",' ..
    '"start_time":%d,"end_time":%d,"duration":%d,"file_size":1000000,"stream_param":"record=mp4",' ..
    '"video_url":"https://1234567890.vod2.myqcloud.com/abc/%s/f0.mp4","event_type":100,' ..
    '"media_start_time":0,"record_bps":0,"callback_ext":"{}","t":%s,"sign":"%s"}',
    stream, stream, file_id, file_id, start, start + duration, duration, file_id, t, sign)
  return wrk.format(nil, "/hooks/tencent", nil, body)
end
