-- wrk script for scripts/soak.sh: each request takes the next of the live read routes, so
-- one wrk process keeps all of them (snapshot, exposition, health, history) under load.
local paths = {
    "/api/v1/system/stats",
    "/metrics",
    "/api/v1/system/health",
    "/api/v1/system/stats/history?range=1h&metrics=cpu.percent,memory.percent&points=300",
}
local i = 0

request = function()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
