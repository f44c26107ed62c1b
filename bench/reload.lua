-- bench/reload.lua: wrk script of the reload-under-load bench (bench/run.sh,
-- the "reload" workload).
--
--   wrk -t2 ... -s reload.lua URL -- OUT POOLPATH CGIPATH CGIWAIT
--
-- Thread 1 sends GET POOLPATH?id=N, thread 2 GET CGIPATH?id=N (the
-- answers of bench/reload_app carry the query back), each connection of
-- thread 2 waiting CGIWAIT ms on average (0 to twice that, at random, so
-- that the connections do not go in step) before each request: process
-- creation on two cores would otherwise leave the pool little CPU.
-- Every response is
-- appended to OUT.TID as one line
--
--   T_US LAT_US STATUS TARGET MARKER PID
--
-- T_US the CLOCK_MONOTONIC time the response ended, in microseconds (the
-- clock the SIGHUP times of run.sh are read from), LAT_US the time since
-- its request was written (-1 when the answer names no request of this
-- thread), TARGET MARKER PID the first three words of the body ("pool v1
-- 1234", "cgi a -"; "-" when missing).  The file is flushed every 100 ms
-- (a wrk stopped by a signal loses only the last ones) and when wrk exits.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } reload_ts;
int clock_gettime(int, reload_ts *);
]]
local ts = ffi.new("reload_ts")

local function now_us()
	ffi.C.clock_gettime(1, ts)	-- CLOCK_MONOTONIC
	return tonumber(ts.tv_sec) * 1000000 + math.floor(
	    tonumber(ts.tv_nsec) / 1000)
end

local threads = 0

function setup(thread)
	threads = threads + 1
	thread:set("tid", threads)
end

local out, base, flushed, wait
local n = 0
local started = {}

function init(args)
	out = io.open(args[1] .. "." .. tid, "w")
	out:setvbuf("full")
	local path = tid == 1 and args[2] or args[3]
	base = path .. (path:find("?", 1, true) and "&" or "?") .. "id="
	wait = tid == 1 and 0 or tonumber(args[4] or "0")
	math.randomseed(tid)
	flushed = now_us()
end

function delay()
	if wait == 0 then
		return 0
	end
	return math.random(0, 2 * wait)
end

function request()
	n = n + 1
	started[n] = now_us()
	return wrk.format(nil, base .. n)
end

function response(status, headers, body)
	local t = now_us()
	local lat = -1
	local id = body and tonumber(body:match("id=(%d+)"))
	if id and started[id] then
		lat = t - started[id]
		started[id] = nil
	end
	local target, marker, pid
	if body then
		target, marker, pid = body:match("^(%S+) (%S+) (%S+)")
	end
	out:write(string.format("%d %d %d %s %s %s\n", t, lat, status,
	    target or "-", marker or "-", pid or "-"))
	if t - flushed > 100000 then
		out:flush()
		flushed = t
	end
end
