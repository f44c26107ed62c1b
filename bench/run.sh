#!/bin/sh
# bench/run.sh: ferry against nginx, lighttpd and the machine's own limits.
#
#   sh bench/run.sh [--install] SRCDIR BUILDDIR     (make bench runs this)
#
# The peers come from Debian's packages: run as root, it installs those
# missing (apt-get) first, unless BENCH_INSTALL=0; --install installs (or
# upgrades) them all.  A peer still missing shows as n/a.  Every
# server is started here on a free 127.0.0.1 port with a generated
# configuration in a temporary directory, logs off, and stopped by pid.
# Settings (environment): BENCH_QUICK=1 (1 round of 2 s), BENCH_ROUNDS,
# BENCH_DURATION (s per wrk run), BENCH_WARMUP (s), BENCH_THREADS and
# BENCH_CONNS (wrk -t/-c, default 1 and 16), BENCH_WORKERS (FastCGI workers
# per pool, default 2), BENCH_FCGIWRAP (fcgiwrap processes, default 2),
# BENCH_WORKLOADS (space-separated subset of the list below), BENCH_IDLE_CONNS
# (default 10000), BENCH_BUDGET (s for the load part, default 660),
# BENCH_NOTIFY_RUNS (close-notify latency runs, default 200; 0: skip),
# BENCH_KEEP=1 (keep the temporary directory), BENCH_INSTALL=0 (install
# nothing), BENCH_BASELINE=DIR (the build directory of another ferry
# commit: its ferryd runs beside this one in every ferry workload, and the
# table's last column gives this/baseline).  BENCH_WORKLOADS also names
# "hijack" (hijacks per second and echo round trips on a hijacked socket,
# after the load) and "reload" (SIGHUP reloads under load: BENCH_RELOADS,
# default 8, one every BENCH_RELOAD_EVERY seconds, default 3).  See
# bench/README.md.

set -u

INSTALL=0
if [ "${1:-}" = --install ]; then
	INSTALL=1
	shift
fi
if [ $# -ne 2 ]; then
	echo "usage: sh bench/run.sh [--install] SRCDIR BUILDDIR" >&2
	exit 2
fi
SRC=$(cd "$1" && pwd) || exit 2
BLD=$(cd "$2" && pwd) || exit 2
BASE=
if [ -n "${BENCH_BASELINE:-}" ]; then
	BASE=$(cd "$BENCH_BASELINE" && pwd) || exit 2
	if [ ! -x "$BASE/ferryd" ]; then
		echo "bench: no ferryd in BENCH_BASELINE=$BENCH_BASELINE" >&2
		exit 2
	fi
fi
# Connections a server accepts: 1024 under load, more for the idle test
# (nginx preallocates its connection table, so this sizes its memory).
MAXCONN=1024

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-1}
	DUR=${BENCH_DURATION:-2}
	WARM=${BENCH_WARMUP:-1}
	SPAWN_SECS=1
	IDLE_N=${BENCH_IDLE_CONNS:-2000}
	NOTIFY_RUNS=${BENCH_NOTIFY_RUNS:-50}
	RELOADS=${BENCH_RELOADS:-4}
else
	ROUNDS=${BENCH_ROUNDS:-3}
	DUR=${BENCH_DURATION:-3}
	WARM=${BENCH_WARMUP:-1}
	SPAWN_SECS=3
	IDLE_N=${BENCH_IDLE_CONNS:-10000}
	NOTIFY_RUNS=${BENCH_NOTIFY_RUNS:-200}
	RELOADS=${BENCH_RELOADS:-8}
fi
RELOAD_EVERY=${BENCH_RELOAD_EVERY:-3}
RELOAD_CGI_WAIT=${BENCH_RELOAD_CGI_WAIT:-20}
THREADS=${BENCH_THREADS:-1}
CONNS=${BENCH_CONNS:-16}
# The reload workload's two wrk runs (-t2 each) share the connections.
RELOAD_CONNS=$(( CONNS < 4 ? 2 : CONNS / 2 ))
WORKERS=${BENCH_WORKERS:-2}
FCGIWRAP_N=${BENCH_FCGIWRAP:-2}
BUDGET=${BENCH_BUDGET:-660}
# The user every app runs as: ferryd wants it named (root only by choice).
APP_USER=$(id -un)
WORKLOADS=${BENCH_WORKLOADS:-"noworker cgi-c cgi-sh fcgi-c fcgi-log notify php echo-1m big-64m hijack reload status isolation proxy lb"}
HIJACK_SECS=$((DUR * 2))

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PHPCGI=$(command -v php-cgi 2>/dev/null || echo /usr/bin/php-cgi)

# ---------------------------------------------------------------- install

bench_install()
{
	if [ "$(id -u)" != 0 ]; then
		echo "bench: --install needs root" >&2
		return 1
	fi
	apt-get update -q >/dev/null || return 1
	# nginx-light is a real package on Debian 12; where it is only a
	# transitional package (or gone), the plain nginx package is used.
	ngx=nginx-light
	if ! apt-cache policy nginx-light 2>/dev/null |
	    grep -q 'Candidate: [0-9]' ||
	    apt-cache show nginx-light 2>/dev/null |
	    grep -qi '^Description.*transitional'; then
		ngx=nginx
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    wrk "$ngx" lighttpd fcgiwrap spawn-fcgi php-cgi >/dev/null
}

# What the peers need, by command: installed when one is missing.
bench_missing()
{
	for c in wrk nginx lighttpd fcgiwrap spawn-fcgi php-cgi; do
		command -v "$c" >/dev/null 2>&1 ||
		    [ -x "/usr/sbin/$c" ] || echo "$c"
	done
}

if [ "$INSTALL" = 0 ] && [ "${BENCH_INSTALL:-1}" != 0 ] &&
    [ -n "$(bench_missing)" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "bench: installing the peers (missing:" \
		    $(bench_missing)"; BENCH_INSTALL=0 skips this)" >&2
		INSTALL=1
	else
		echo "bench: missing peers:" $(bench_missing) "(run as root" \
		    "to install them); they show as n/a" >&2
	fi
fi
if [ "$INSTALL" = 1 ]; then
	bench_install || echo "bench: install failed; going on with what" \
	    "is there" >&2
fi

# ---------------------------------------------------------------- setup

if ! command -v wrk >/dev/null 2>&1; then
	echo "bench: wrk is not installed (sh bench/run.sh --install as" \
	    "root, or apt-get install wrk); only the machine's limits run" >&2
fi

T=$(mktemp -d /tmp/ferry-bench.XXXXXX) || exit 1
RES=$T/res
mkdir -p "$RES" "$T/run" "$T/cgi-bin" "$T/php" "$T/www"
ALLROOTS=$T/allroots
: > "$ALLROOTS"
START=$(date +%s)

# More open files for 10,000 idle connections (servers inherit it).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null

# All servers and the load generator share two cores.
PIN=
if [ "$(nproc)" -gt 2 ] && command -v taskset >/dev/null 2>&1; then
	PIN="taskset -c 0,1"
fi

cp "$BLD/bench/hello_cgi" "$T/cgi-bin/hello"
cp "$SRC/bench/cgi/hello.sh" "$T/cgi-bin/hello.sh"
chmod 755 "$T/cgi-bin/hello" "$T/cgi-bin/hello.sh"
cp "$BLD/bench/hello_fcgi" "$T/hello_fcgi"
printf '<?php echo "hello\\n";\n' > "$T/php/hello.php"
ln -s "$T/cgi-bin" "$T/www/cgi-bin"
ln -s "$T/php" "$T/www/php"
cat > "$T/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = string.rep("x", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
EOF

# Pids of the processes under the given roots (the roots included).
tree_pids()
{
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$*" '
	NF > 0 {
		pid = $1; s = $0; sub(/.*\) /, "", s); split(s, a, " ")
		if (a[1] != "Z") { parent[pid] = a[2]; alive[pid] = 1 }
	}
	END {
		n = split(roots, r, " ")
		for (i = 1; i <= n; i++) if (r[i] in alive) keep[r[i]] = 1
		do {
			added = 0
			for (p in parent)
				if (!(p in keep) && (parent[p] in keep)) {
					keep[p] = 1; added = 1
				}
		} while (added)
		for (p in keep) print p
	}'
}

# Sum of a /proc/PID/status field (VmHWM, VmRSS) in KiB over the pids.
sum_status()
{
	field=$1
	shift
	for p in "$@"; do
		awk -v f="$field:" '$1 == f { print $2 }' "/proc/$p/status" \
		    2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}

# Stops the processes under the roots listed in file $1: TERM, then KILL.
stop_roots()
{
	[ -s "$1" ] || return 0
	pids=$(tree_pids $(cat "$1"))
	[ -n "$pids" ] || return 0
	kill -TERM $pids 2>/dev/null
	i=0
	while [ $i -lt 30 ]; do
		left=$(tree_pids $pids)
		[ -n "$left" ] || return 0
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL $left 2>/dev/null
}

bench_cleanup()
{
	stop_roots "$ALLROOTS"
	wait 2>/dev/null
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: kept $T"
	else
		rm -rf "$T"
	fi
	if [ -n "${SHM:-}" ]; then
		rm -rf "$SHM"
	fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

free_port()
{
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Records a started process ($1 = pid) in the target dir $2 and globally.
add_root()
{
	echo "$1" >> "$2/roots"
	echo "$1" >> "$ALLROOTS"
}

# Waits until GET PATH on the port answers; prints "STATUS LEN".
probe()
{
	i=0
	while [ $i -lt 50 ]; do
		out=$($PY "$SRC/bench/idle_conns.py" get 127.0.0.1 "$1" "$2" \
		    2>/dev/null)
		case $out in
		[0-9]*) echo "$out"; return 0 ;;
		esac
		sleep 0.1
		i=$((i + 1))
	done
	echo "no answer"
	return 1
}

# ---------------------------------------------------------------- servers
#
# start_SERVER KIND DIR: starts a server for a workload kind (ret, cgi, fcgi,
# php) in DIR, writes DIR/port, DIR/roots and DIR/label; returns 1 when it
# cannot serve that kind (DIR/why says why).

FCGI_PARAMS='
		fastcgi_param QUERY_STRING $query_string;
		fastcgi_param REQUEST_METHOD $request_method;
		fastcgi_param CONTENT_TYPE $content_type;
		fastcgi_param CONTENT_LENGTH $content_length;
		fastcgi_param SCRIPT_NAME $fastcgi_script_name;
		fastcgi_param REQUEST_URI $request_uri;
		fastcgi_param DOCUMENT_URI $document_uri;
		fastcgi_param DOCUMENT_ROOT $document_root;
		fastcgi_param SERVER_PROTOCOL $server_protocol;
		fastcgi_param GATEWAY_INTERFACE CGI/1.1;
		fastcgi_param SERVER_SOFTWARE nginx;
		fastcgi_param REMOTE_ADDR $remote_addr;
		fastcgi_param REMOTE_PORT $remote_port;
		fastcgi_param SERVER_ADDR $server_addr;
		fastcgi_param SERVER_PORT $server_port;
		fastcgi_param SERVER_NAME $server_name;
		fastcgi_param REDIRECT_STATUS 200;'

# The [server] section of every ferryd of the bench: access log off, the
# error log $1 at level $2.
ferry_server_conf()
{
	cat <<EOF
[server]
access_log = off
error_log = $1
log_level = $2
max_connections = $MAXCONN
keepalive_timeout = 120
EOF
}

start_ferry()
{
	kind=$1 d=$2
	port=$(free_port)
	echo "$port" > "$d/port"
	ferry_server_conf "$d/error.log" error > "$d/ferry.conf"
	case $kind in
	ret)	echo "ferry 404 (no app)" > "$d/label"
		echo /none > "$d/path" ;;
	cgi)	echo "ferry" > "$d/label"
		printf '[app cgi]\ntype = cgi\nprefix = /cgi-bin/\nroot = %s\n' \
		    "${CGI_ROOT:-$T/cgi-bin}" >> "$d/ferry.conf" ;;
	fcgi)	echo "ferry" > "$d/label"
		printf '[app hello]\ntype = fastcgi\nprefix = /app/\n' \
		    >> "$d/ferry.conf"
		printf 'command = %s\nworkers = %s\n' "$T/hello_fcgi" \
		    "$WORKERS" >> "$d/ferry.conf" ;;
	php)	echo "ferry" > "$d/label"
		printf '[app php]\ntype = fastcgi\nprefix = /php/\n' \
		    >> "$d/ferry.conf"
		printf 'command = %s\nroot = %s\nworkers = %s\n' "$PHPCGI" \
		    "$T/php" "$WORKERS" >> "$d/ferry.conf"
		echo "env = PHP_FCGI_MAX_REQUESTS" >> "$d/ferry.conf" ;;
	esac
	[ "$kind" != ret ] && echo "user = $APP_USER" >> "$d/ferry.conf"
	[ -n "${APP_EXTRA:-}" ] && echo "$APP_EXTRA" >> "$d/ferry.conf"
	PHP_FCGI_MAX_REQUESTS=0 $PIN "${FERRYD:-$BLD/ferryd}" \
	    -c "$d/ferry.conf" --listen "127.0.0.1:$port" \
	    > "$d/out.log" 2>&1 &
	add_root $! "$d"
}

# The same server with the baseline's ferryd (BENCH_BASELINE), for a
# before/after comparison measured in one run.
start_ferrybase()
{
	if [ -z "$BASE" ] || [ ! -x "$BASE/ferryd" ]; then
		echo "no baseline ferryd (BENCH_BASELINE)" > "$2/why"
		return 1
	fi
	FERRYD=$BASE/ferryd start_ferry "$1" "$2"
	echo "$(cat "$2/label") (baseline)" > "$2/label"
}

# The same server with request_buffering = off: the cost of receiving a
# body whole before the app starts (nothing for GETs; a temp file past
# 64 KiB for echo-1m's POSTs), as "ferry/this" of the default's rate.
start_ferrynb()
{
	if [ "$1" != cgi ] && [ "$1" != fcgi ]; then
		echo "no app to buffer bodies for" > "$2/why"
		return 1
	fi
	APP_EXTRA="request_buffering = off" start_ferry "$1" "$2"
	echo "ferry buffering off" > "$2/label"
}

# The CGI hello under issue 17's isolation settings (BENCH_WORKLOADS=
# isolation), each as "ferry/this" of the same hello without them: resource
# limits with the seccomp filter (no_new_privs is always on); private pids,
# mounts and /tmp; a private network; a cgroup per request.
start_ferryiso()
{
	APP_EXTRA=$(printf "$3") start_ferry cgi "$2"
	echo "ferry $4" > "$2/label"
}

start_ferryi1()
{
	start_ferryiso "$1" "$2" 'limit_cpu = 10\nlimit_memory = 1G\nlimit_files = 256\nlimit_core = 0\nsyscall_filter = default' \
	    "limits+seccomp"
}

# private_tmp hides /tmp, where $T is: the scripts from /dev/shm.
start_ferryi2()
{
	if [ -z "${SHM:-}" ]; then
		SHM=$(mktemp -d /dev/shm/ferry-bench.XXXXXX) || return 1
		cp -R "$T/cgi-bin" "$SHM/" && chmod 755 "$SHM" || return 1
	fi
	CGI_ROOT=$SHM/cgi-bin start_ferryiso "$1" "$2" \
	    'private_pids = yes\nread_only = yes\nprivate_tmp = yes' \
	    "pids+mounts+tmp"
}

start_ferryi3()
{
	start_ferryiso "$1" "$2" 'private_network = yes' "private network"
}

start_ferryi4()
{
	start_ferryiso "$1" "$2" 'cgroup = yes' "cgroup per request"
}

# ferryd with the libferry hello app (bench/hello_ferry) as its pool.
start_ferrylf()
{
	if [ "$1" != fcgi ] || [ ! -x "$BLD/bench/hello_ferry" ]; then
		echo "no bench/hello_ferry (libferry)" > "$2/why"
		return 1
	fi
	start_ferry fcgi "$2"
	sed -i "s|^command = .*|command = $BLD/bench/hello_ferry|" \
	    "$2/ferry.conf"
	echo "ferry+libferry" > "$2/label"
	stop_roots "$2/roots"
	: > "$2/roots"
	PHP_FCGI_MAX_REQUESTS=0 $PIN "$BLD/ferryd" -c "$2/ferry.conf" \
	    --listen "127.0.0.1:$(cat "$2/port")" > "$2/out.log" 2>&1 &
	add_root $! "$2"
}

# ferryd with bench/notify_ferry as its pool: start_ferrynotify QUERY DIR
# LABEL; the requests are /app/x?QUERY (see bench/notify_ferry.c).
start_ferrynotify()
{
	if [ ! -x "$BLD/bench/notify_ferry" ]; then
		echo "no bench/notify_ferry (libferry)" > "$2/why"
		return 1
	fi
	port=$(free_port)
	echo "$port" > "$2/port"
	echo "/app/x?$1" > "$2/path"
	echo "$3" > "$2/label"
	ferry_server_conf "$2/error.log" error > "$2/ferry.conf"
	cat >> "$2/ferry.conf" <<EOF
[app notify]
user = $APP_USER
type = fastcgi
prefix = /app/
command = $BLD/bench/notify_ferry
args = --log $2/wake.log
workers = $WORKERS
EOF
	$PIN "$BLD/ferryd" -c "$2/ferry.conf" --listen "127.0.0.1:$port" \
	    > "$2/out.log" 2>&1 &
	add_root $! "$2"
}

# The notify workload: the same libferry handler answering at once, and
# also asking for its notify fd and ferry_gone() (the watch's cost).
start_ferrynh()
{
	start_ferrynotify hello "$2" "ferry+libferry answer"
}

start_ferrynw()
{
	start_ferrynotify watch "$2" "ferry+libferry +watch"
}

start_nginx()
{
	kind=$1 d=$2
	command -v nginx >/dev/null 2>&1 || { echo "nginx missing" > "$d/why"
		return 1; }
	port=$(free_port)
	echo "$port" > "$d/port"
	mkdir -p "$d/tmp"
	case $kind in
	ret)	keep=
		echo "nginx return 200" > "$d/label"
		loc='location / { return 200 "hello\n"; }' ;;
	cgi)	keep=
		command -v fcgiwrap >/dev/null 2>&1 || {
			echo "fcgiwrap missing" > "$d/why"; return 1; }
		echo "nginx+fcgiwrap" > "$d/label"
		$PIN fcgiwrap -c "$FCGIWRAP_N" -s "unix:$d/cgi.sock" \
		    > "$d/fcgiwrap.log" 2>&1 < /dev/null &
		add_root $! "$d"
		loc="location /cgi-bin/ { $FCGI_PARAMS
		fastcgi_param SCRIPT_FILENAME $T\$fastcgi_script_name;
		fastcgi_max_temp_file_size 0;
		fastcgi_pass unix:$d/cgi.sock; }" ;;
	fcgi|php)
		command -v spawn-fcgi >/dev/null 2>&1 || {
			echo "spawn-fcgi missing" > "$d/why"; return 1; }
		if [ "$kind" = fcgi ]; then
			app=$T/hello_fcgi prefix=/app/
		else
			app=$PHPCGI prefix=/php/
			[ -x "$app" ] || { echo "php-cgi missing" > "$d/why"
				return 1; }
		fi
		keep="keepalive $WORKERS;" keepconn="fastcgi_keep_conn on;"
		if [ "$NOKEEP" = 1 ]; then
			keep= keepconn=
			echo "nginx+spawn-fcgi no-ka" > "$d/label"
		else
			echo "nginx+spawn-fcgi" > "$d/label"
		fi
		PHP_FCGI_MAX_REQUESTS=0 $PIN spawn-fcgi -s "$d/app.sock" \
		    -F "$WORKERS" -P "$d/spawn.pid" -- "$app" \
		    > "$d/spawn.log" 2>&1
		for p in $(cat "$d/spawn.pid" 2>/dev/null); do
			add_root "$p" "$d"
		done
		loc="location $prefix { $FCGI_PARAMS
		fastcgi_param SCRIPT_FILENAME $T\$fastcgi_script_name;
		$keepconn
		fastcgi_max_temp_file_size 0;
		fastcgi_pass app; }" ;;
	esac
	cat > "$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
user root root;
pid $d/nginx.pid;
error_log $d/error.log error;
worker_rlimit_nofile 40000;
events { worker_connections $MAXCONN; }
http {
	access_log off;
	keepalive_timeout 120;
	keepalive_requests 100000000;
	client_max_body_size 16m;
	client_body_temp_path $d/tmp/body;
	fastcgi_temp_path $d/tmp/fastcgi;
	proxy_temp_path $d/tmp/proxy;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	default_type text/plain;
	upstream app { server unix:$d/app.sock; $keep }
	server {
		listen 127.0.0.1:$port;
		root $T/www;
		$loc
	}
}
EOF
	$PIN nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" \
	    > "$d/out.log" 2>&1 &
	add_root $! "$d"
}

# nginx + spawn-fcgi without upstream keep-alive: a libfcgi worker serves
# one connection at a time, so kept connections beyond the worker count
# wait in the listen backlog (see bench/README.md).
NOKEEP=0
start_nginxnk()
{
	NOKEEP=1
	start_nginx "$@"
	rc=$?
	NOKEEP=0
	return $rc
}

start_lighttpd()
{
	kind=$1 d=$2
	command -v lighttpd >/dev/null 2>&1 || {
		echo "lighttpd missing" > "$d/why"; return 1; }
	port=$(free_port)
	echo "$port" > "$d/port"
	mkdir -p "$d/tmp"
	cat > "$d/lighttpd.conf" <<EOF
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$d/error.log"
server.upload-dirs = ( "$d/tmp" )
server.max-connections = $MAXCONN
server.max-fds = 40000
server.max-keep-alive-idle = 120
server.max-keep-alive-requests = 100000000
server.max-request-size = 16384
server.stream-response-body = 2
EOF
	case $kind in
	ret)	echo "lighttpd 404 (static)" > "$d/label" ;;
	cgi)	echo "lighttpd mod_cgi" > "$d/label"
		cat >> "$d/lighttpd.conf" <<EOF
server.modules += ( "mod_cgi" )
\$HTTP["url"] =~ "^/cgi-bin/" { cgi.assign = ( "" => "" ) }
EOF
		;;
	fcgi|php)
		echo "lighttpd mod_fastcgi" > "$d/label"
		if [ "$kind" = fcgi ]; then
			app=$T/hello_fcgi prefix=/app/ local=disable
		else
			app=$PHPCGI prefix=.php local=enable
			[ -x "$app" ] || { echo "php-cgi missing" > "$d/why"
				return 1; }
		fi
		cat >> "$d/lighttpd.conf" <<EOF
server.modules += ( "mod_fastcgi" )
fastcgi.server = ( "$prefix" => ( (
	"socket" => "$d/app.sock",
	"bin-path" => "$app",
	"max-procs" => $WORKERS,
	"check-local" => "$local",
	"bin-environment" => ( "PHP_FCGI_CHILDREN" => "0",
	    "PHP_FCGI_MAX_REQUESTS" => "0" )
) ) )
EOF
		;;
	esac
	$PIN lighttpd -D -f "$d/lighttpd.conf" > "$d/out.log" 2>&1 &
	add_root $! "$d"
}

# ---------------------------------------------------------------- workloads

# The FastCGI hello with an access log written to a file, in the
# Combined Log Format and in JSON (access_log_format): what the JSON
# line costs against the combined one, in the same run.
start_ferryalog()
{
	APP_EXTRA= start_ferry fcgi "$2"
	sed -i "s|^access_log = off|access_log = $2/access.log\\
access_log_format = $3|" "$2/ferry.conf"
	echo "ferry access log $3" > "$2/label"
	stop_roots "$2/roots"
	: > "$2/roots"
	$PIN "$BLD/ferryd" -c "$2/ferry.conf" \
	    --listen "127.0.0.1:$(cat "$2/port")" > "$2/out.log" 2>&1 &
	add_root $! "$2"
}

start_ferrylc()
{
	start_ferryalog "$1" "$2" combined
}

start_ferrylj()
{
	start_ferryalog "$1" "$2" json
}

# The proxy workload: the FastCGI hello behind haproxy (mode tcp, one
# server), which sends the PROXY header ($3 = send-proxy-v2, ferryd's
# listener with proxy_protocol) or not ($3 empty): the header's cost on
# ferry alone, both through the same front in the same run.
start_ferryhp()
{
	HAPROXY=$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)
	if [ ! -x "$HAPROXY" ]; then
		echo "haproxy is not installed" > "$2/why"
		return 1
	fi
	APP_EXTRA= start_ferry fcgi "$2"
	fport=$(cat "$2/port")
	flisten="127.0.0.1:$fport"
	label="ferry via haproxy"
	if [ -n "$3" ]; then
		flisten="$flisten proxy_protocol"
		label="ferry via haproxy+pp2"
		stop_roots "$2/roots"
		: > "$2/roots"
		$PIN "$BLD/ferryd" -c "$2/ferry.conf" --listen "$flisten" \
		    > "$2/out.log" 2>&1 &
		add_root $! "$2"
	fi
	echo "$label" > "$2/label"
	port=$(free_port)
	echo "$port" > "$2/port"
	cat > "$2/haproxy.cfg" <<EOF
global
	maxconn $MAXCONN
defaults
	mode tcp
	timeout connect 5s
	timeout client 120s
	timeout server 120s
frontend front
	bind 127.0.0.1:$port
	default_backend ferry
backend ferry
	server f1 127.0.0.1:$fport $3
EOF
	$PIN "$HAPROXY" -db -f "$2/haproxy.cfg" > "$2/haproxy.log" 2>&1 &
	add_root $! "$2"
}

start_ferryhp0()
{
	start_ferryhp "$1" "$2" ""
}

start_ferryhp1()
{
	start_ferryhp "$1" "$2" send-proxy-v2
}

# Whether the part $1 (a workload, hijack or reload) is in
# BENCH_WORKLOADS.
wl_on()
{
	case " $WORKLOADS " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# The wrk workloads of the table in BENCH_WORKLOADS (hijack and reload
# have their own parts).
wl_load()
{
	for w in $WORKLOADS; do
		case $w in
		hijack|reload|status|lb) ;;
		*) echo "$w" ;;
		esac
	done
}

wl_kind()
{
	case $1 in
	noworker) echo ret ;;
	cgi-c|cgi-sh|echo-1m|big-64m|isolation) echo cgi ;;
	fcgi-c|fcgi-log|notify|proxy) echo fcgi ;;
	php) echo php ;;
	esac
}

wl_path()
{
	case $1 in
	noworker) echo / ;;
	cgi-c|isolation) echo /cgi-bin/hello ;;
	cgi-sh) echo /cgi-bin/hello.sh ;;
	echo-1m) echo "/cgi-bin/hello?echo" ;;
	big-64m) echo "/cgi-bin/hello?big=64" ;;
	fcgi-c|fcgi-log|proxy) echo /app/hello ;;
	notify) echo "/app/x?hello" ;;
	php) echo /php/hello.php ;;
	esac
}

wl_servers()
{
	b=
	[ -n "$BASE" ] && b=" ferrybase"
	case $1 in
	noworker) echo "nginx ferry$b" ;;
	fcgi-c) echo "ferry$b ferrynb ferrylf nginx nginxnk lighttpd" ;;
	notify) echo "ferrynh ferrynw" ;;
	isolation) echo "ferry ferryi1 ferryi2 ferryi3 ferryi4" ;;
	fcgi-log) echo "ferrylc ferrylj" ;;
	proxy) echo "ferryhp0 ferryhp1" ;;
	php) echo "ferry$b nginx nginxnk lighttpd" ;;
	cgi-c|echo-1m) echo "ferry$b ferrynb nginx lighttpd" ;;
	*) echo "ferry$b nginx lighttpd" ;;
	esac
}

wl_desc()
{
	case $1 in
	noworker) echo "no worker: nginx return 200, ferry's own 404" ;;
	cgi-c) echo "hello CGI in C (one process per request)" ;;
	isolation) echo "hello CGI in C, plain and under isolation settings" ;;
	cgi-sh) echo "hello CGI in sh" ;;
	echo-1m) echo "1 MiB POST echoed by the C CGI" ;;
	big-64m) echo "64 MiB response streamed by the C CGI" ;;
	fcgi-c) echo "hello FastCGI (libfcgi, $WORKERS workers)" ;;
	notify) echo "libferry hello, then with ferry_notify_fd+gone" ;;
	fcgi-log) echo "hello FastCGI, access log combined, then json" ;;
	proxy) echo "hello FastCGI via haproxy, then with send-proxy-v2" ;;
	php) echo "php-cgi hello over FastCGI ($WORKERS workers)" ;;
	esac
}

# Runs wrk against target dir $1 for $2 seconds in mode $3 (ka|close);
# prints "RPS P50MS P99MS ERRORS MIBPS" (ERRORS: socket errors, and
# non-2xx answers unless the target expects them).
run_wrk()
{
	d=$1 secs=$2 mode=$3 out=$1/wrk.out
	set -- -t"$THREADS" -c"$CONNS" -d"${secs}s" --latency --timeout 10s
	[ "$mode" = close ] && set -- "$@" -H "Connection: close"
	[ -f "$d/lua" ] && set -- "$@" -s "$(cat "$d/lua")"
	timeout $((secs + 30)) $PIN wrk "$@" \
	    "http://127.0.0.1:$(cat "$d/port")$(cat "$d/path")" > "$out" 2>&1
	awk -v expect="$(cat "$d/expect" 2>/dev/null)" '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
		if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
		return -1
	}
	function mib(v) {
		if (v ~ /GB$/) return substr(v, 1, length(v) - 2) * 1024
		if (v ~ /MB$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /KB$/) return substr(v, 1, length(v) - 2) / 1024
		if (v ~ /B$/) return substr(v, 1, length(v) - 1) / 1048576
		return 0
	}
	BEGIN { rps = -1; p50 = -1; p99 = -1; err = 0; tput = 0 }
	$1 == "Requests/sec:" { rps = $2 }
	$1 == "Transfer/sec:" { tput = mib($2) }
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/Socket errors:/ {
		gsub(/,/, ""); err += $4 + $6 + $8 + $10
	}
	/Non-2xx or 3xx responses:/ { if (expect == "") err += $NF }
	END { printf "%s %.3f %.3f %d %.1f\n", rps, p50, p99, err, tput }
	' "$out"
}

# Runs one workload in one connection mode: starts every server, warms
# each up, runs ROUNDS rounds interleaved, records peak RSS, stops them.
run_workload()
{
	w=$1 mode=$2
	kind=$(wl_kind "$w")
	active=
	for s in $(wl_servers "$w"); do
		d=$T/run/$w.$mode.$s
		mkdir -p "$d"
		: > "$d/roots"
		wl_path "$w" > "$d/path"
		[ "$w" = echo-1m ] && echo "$T/post.lua" > "$d/lua"
		if ! "start_$s" "$kind" "$d"; then
			echo "$s: $(cat "$d/why" 2>/dev/null)" >> "$RES/notes"
			continue
		fi
		[ "$kind" = ret ] && { [ "$s" = ferry ] ||
		    [ "$s" = ferrybase ]; } && echo 404 > "$d/expect"
		ppath=$(cat "$d/path")
		[ "$w" = echo-1m ] || [ "$w" = big-64m ] &&
		    ppath=$(wl_path cgi-c)
		got=$(probe "$(cat "$d/port")" "$ppath")
		case $got in
		"200 "*|"404 "*) active="$active $s"
			cp "$d/label" "$RES/$w.$mode.$s.label" ;;
		*)	echo "$(cat "$d/label") $w: n/a (probe: $got)" \
			    >> "$RES/notes"
			echo "$(cat "$d/label")" > "$RES/$w.$mode.$s.label"
			echo "n/a" > "$RES/$w.$mode.$s.na"
			stop_roots "$d/roots" ;;
		esac
	done
	for s in $active; do
		run_wrk "$T/run/$w.$mode.$s" "$WARM" "$mode" > /dev/null
	done
	r=1
	while [ $r -le "$ROUNDS" ]; do
		for s in $active; do
			run_wrk "$T/run/$w.$mode.$s" "$DUR" "$mode" \
			    >> "$RES/$w.$mode.$s"
		done
		r=$((r + 1))
	done
	for s in $active; do
		d=$T/run/$w.$mode.$s
		sum_status VmHWM $(tree_pids $(cat "$d/roots")) \
		    > "$RES/$w.$mode.$s.rss"
		stop_roots "$d/roots"
	done
}

# ---------------------------------------------------------------- limits

echo "ferry bench: $(nproc) cores, $(uname -r), rounds=$ROUNDS x ${DUR}s," \
    "wrk -t$THREADS -c$CONNS, results in this order: machine limits," \
    "workloads, idle connections"
echo
echo "== machine limits (hello CGI: $T/cgi-bin/hello)"
$PIN "$BLD/bench/spawn_limit" -t "$SPAWN_SECS" "$T/cgi-bin/hello" |
    tee "$RES/spawn"
$PIN "$BLD/bench/sockpair_rtt" -t "$SPAWN_SECS" | tee "$RES/rtt"
echo

# ---------------------------------------------------------------- load

if command -v wrk >/dev/null 2>&1; then
	for w in $(wl_load); do
		for mode in ka close; do
			now=$(date +%s)
			if [ $((now - START)) -gt "$BUDGET" ]; then
				echo "$w $mode: skipped (past the" \
				    "${BUDGET}s budget)" >> "$RES/notes"
				continue
			fi
			echo "running $w ($mode) ..." >&2
			run_workload "$w" "$mode"
		done
	done
fi

# ---------------------------------------------------------------- notify

# Close-notify latency: ferryd with one notify_ferry worker; notify_lat
# closes (FIN, then RST) NOTIFY_RUNS times while the handler waits in
# ferry_wait_notify() and compares the worker's wake-up time with its own.
if [ "$NOTIFY_RUNS" -gt 0 ] && [ -x "$BLD/bench/notify_lat" ]; then
	echo "running close-notify latency ..." >&2
	d=$T/run/notify-lat
	mkdir -p "$d"
	: > "$d/roots"
	save_workers=$WORKERS
	WORKERS=1
	if start_ferrynotify hello "$d" "ferry+libferry" &&
	    probe "$(cat "$d/port")" "/app/x?hello" > /dev/null; then
		for how in "" -r; do
			timeout 600 $PIN "$BLD/bench/notify_lat" \
			    -n "$NOTIFY_RUNS" $how "$(cat "$d/port")" /app/x \
			    "$d/wake.log" >> "$RES/notify-lat" 2>&1
		done
		# The same from behind a full input buffer: 4 MiB of body
		# offered, the handler reading none (half the runs: each
		# fills the buffers first).
		for how in "" -r; do
			timeout 600 $PIN "$BLD/bench/notify_lat" \
			    -n $(( (NOTIFY_RUNS + 1) / 2 )) -b 4194304 $how \
			    "$(cat "$d/port")" /app/x "$d/wake.log" \
			    >> "$RES/notify-lat" 2>&1
		done
	else
		echo "close-notify latency: ferryd did not answer" \
		    >> "$RES/notes"
	fi
	WORKERS=$save_workers
	stop_roots "$d/roots"
fi

# ---------------------------------------------------------------- hijack

# ferryd --app /h=bench/hijack_app (libferry, 2 workers): whole hijacks
# per second, one connection after the other, and round trips of 64 bytes
# and 16 KiB on a hijacked socket against the same echo served directly.
if wl_on hijack && [ -x "$BLD/bench/hijack_app" ] &&
    [ -x "$BLD/bench/hijack_client" ]; then
	echo "running hijack ..." >&2
	d=$T/run/hijack
	mkdir -p "$d"
	: > "$d/roots"
	port=$(free_port)
	$PIN "$BLD/ferryd" --listen "127.0.0.1:$port" --workers 2 \
	    --app "/h=$BLD/bench/hijack_app" --user "$APP_USER" \
	    --access-log /dev/null \
	    --error-log "$d/error.log" > "$d/out.log" 2>&1 &
	add_root $! "$d"
	if probe "$port" /h/hijack > /dev/null; then
		timeout $((HIJACK_SECS + 30)) $PIN "$BLD/bench/hijack_client" \
		    rate "$port" "$HIJACK_SECS" >> "$RES/hijack" 2>&1
		for size in 64 16384; do
			printf 'size %s ' "$size" >> "$RES/hijack"
			timeout $((HIJACK_SECS + 30)) $PIN \
			    "$BLD/bench/hijack_client" echo "$port" \
			    "$HIJACK_SECS" "$size" >> "$RES/hijack" 2>&1
		done
	else
		echo "hijack: ferryd with hijack_app did not answer" \
		    >> "$RES/notes"
	fi
	stop_roots "$d/roots"
fi

# ---------------------------------------------------------------- reload

# The configuration of the reload workload: the pool (bench/reload_app,
# answering "pool ARGS PID ...") started with args $1, the same program as
# a CGI from root $2 (answering "cgi a" or "cgi b").  $3: the directory.
reload_conf()
{
	ferry_server_conf "$3/error.log" info
	cat <<EOF
[app pool]
user = $APP_USER
type = fastcgi
prefix = /app/
command = $3/pool_app
args = $1
workers = $WORKERS
[app cgi]
user = $APP_USER
type = cgi
prefix = /cgi-bin/
root = $3/$2
EOF
}

# ferryd with a FastCGI pool and a CGI app under two wrk runs (keep-alive
# and Connection: close, each one thread on the pool and one on the CGI,
# every response logged by bench/reload.lua), RELOADS SIGHUPs one every
# RELOAD_EVERY seconds, alternating two kinds: "replace" changes the
# pool's args (new workers) and the CGI root, "keep" only the CGI root
# (the pool keeps its workers).  bench/reload.awk makes the report.
if wl_on reload && [ -x "$BLD/bench/reload_app" ] &&
    command -v wrk >/dev/null 2>&1; then
	echo "running reload ..." >&2
	d=$T/run/reload
	mkdir -p "$d/a" "$d/b"
	: > "$d/roots"
	: > "$d/reloads"
	cp "$BLD/bench/reload_app" "$d/pool_app"
	cp "$BLD/bench/reload_app" "$d/a/app"
	cp "$BLD/bench/reload_app" "$d/b/app"
	port=$(free_port)
	reload_conf v1 a "$d" > "$d/ferry.conf"
	$PIN "$BLD/ferryd" -c "$d/ferry.conf" --listen "127.0.0.1:$port" \
	    > "$d/out.log" 2>&1 &
	fpid=$!
	add_root $fpid "$d"
	if probe "$port" /app/x > /dev/null &&
	    probe "$port" /cgi-bin/app > /dev/null; then
		# The plan: configuration i in conf.i, "I KIND POOL CGI" in plan.
		i=1 pool=v1 cgi=a
		: > "$d/plan"
		while [ $i -le "$RELOADS" ]; do
			kind=keep
			if [ $((i % 2)) = 1 ]; then
				kind=replace
				[ $pool = v1 ] && pool=v2 || pool=v1
			fi
			[ $cgi = a ] && cgi=b || cgi=a
			reload_conf $pool $cgi "$d" > "$d/conf.$i"
			echo "$i $kind $pool $cgi" >> "$d/plan"
			i=$((i + 1))
		done
		secs=$(( (RELOADS + 1) * RELOAD_EVERY + 1 ))
		rss0=$(sum_status VmRSS "$fpid")
		fds0=$(ls "/proc/$fpid/fd" | wc -l)
		wpids=
		for mode in ka close; do
			set -- -t2 -c"$RELOAD_CONNS" -d"${secs}s" --timeout 10s \
			    -s "$SRC/bench/reload.lua"
			[ "$mode" = close ] && set -- "$@" -H "Connection: close"
			timeout $((secs + 30)) $PIN wrk "$@" \
			    "http://127.0.0.1:$port/" -- "$d/log.$mode" \
			    /app/x /cgi-bin/app "$RELOAD_CGI_WAIT" \
			    > "$d/wrk.$mode" 2>&1 &
			wpids="$wpids $!"
			echo $! >> "$ALLROOTS"
		done
		# One process sends every SIGHUP on a fixed schedule and
		# notes its CLOCK_MONOTONIC time (the clock reload.lua reads):
		# no process starts around a reload but ferryd's own.
		# It stays until the last steady window is over (its exit is
		# work on the cores too).
		$PIN $PY -c 'import os, signal, sys, time
pid, every, d = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
start = time.monotonic()
n = 0
with open(d + "/reloads", "w") as out:
    for line in open(d + "/plan"):
        i, kind, pool, cgi = line.split()
        n += 1
        time.sleep(max(0, start + n * every - time.monotonic()))
        os.replace(d + "/conf." + i, d + "/ferry.conf")
        t = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        os.kill(pid, signal.SIGHUP)
        out.write("%s %s %d %s %s\n" % (i, kind, t, pool, cgi))
        out.flush()
time.sleep(max(0, start + (n + 1) * every - time.monotonic()))' \
		    "$fpid" "$RELOAD_EVERY" "$d"
		wait $wpids
		sleep 1		# ferryd sees wrk's connections close
		rss1=$(sum_status VmRSS "$fpid")
		fds1=$(ls "/proc/$fpid/fd" | wc -l)
		sockerr=$(cat "$d/wrk.ka" "$d/wrk.close" | awk '
		    /Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
		    END { print e + 0 }')
		if [ -s "$d/reloads" ]; then
			awk -f "$SRC/bench/reload.awk" -v every="$RELOAD_EVERY" \
			    -v sockerr="$sockerr" -v pool0=v1 -v cgi0=a \
			    "$d/reloads" "$d"/log.ka.* "$d"/log.close.* \
			    > "$RES/reload" 2>&1
			used=$(grep -c 'reload: configuration [0-9]* in use' \
			    "$d/error.log")
			echo "ferryd: $used of $RELOADS reloads in use," \
			    "$(grep -c 'reload failed' "$d/error.log") failed;" \
			    "RSS $rss0 KiB before the load, $rss1 KiB after;" \
			    "open fds $fds0 before, $fds1 after" >> "$RES/reload"
		else
			echo "reload: no SIGHUP was sent" >> "$RES/notes"
		fi
	else
		echo "reload: ferryd with bench/reload_app did not answer" \
		    >> "$RES/notes"
	fi
	stop_roots "$d/roots"
fi

# ---------------------------------------------------------------- status

# The status page's cost (BENCH_WORKLOADS=status): ferryd with the
# fcgi-c workload's hello pool and three idle apps under wrk, without a
# status page ("off") against the same with status_path set and
# bench/status_scrape fetching it STATUS_HZ times a second, JSON and
# ?format=prometheus in turn ("scraped"): STATUS_ROUNDS rounds of
# STATUS_DUR seconds per connection mode, the two in turn, the order
# reversed every round (short rounds, many of them: the difference sought
# is small, the machine's drift is not).  Each round also notes ferryd's
# CPU time.  After the keep-alive rounds, the scraped ferryd idle:
# STATUS_FETCHES fetches of each format one after the other, their size,
# their time and ferryd's CPU time.
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	STATUS_ROUNDS=${BENCH_STATUS_ROUNDS:-4}
else
	STATUS_ROUNDS=${BENCH_STATUS_ROUNDS:-10}
fi
STATUS_DUR=${BENCH_STATUS_DURATION:-2}
STATUS_HZ=${BENCH_STATUS_HZ:-10}
STATUS_FETCHES=${BENCH_STATUS_FETCHES:-200}

# The configuration in $1: the bench's [server], status_path when $2 is
# "on", and four apps: the hello pool under load, a second pool of one
# worker, two CGI apps.
status_conf()
{
	ferry_server_conf "$1/error.log" error
	[ "$2" = on ] && echo "status_path = /ferry-status"
	cat <<EOF
[app hello]
user = $APP_USER
type = fastcgi
prefix = /app/
command = $T/hello_fcgi
workers = $WORKERS
[app hello2]
user = $APP_USER
type = fastcgi
prefix = /app2/
command = $T/hello_fcgi
workers = 1
[app cgi]
user = $APP_USER
type = cgi
prefix = /cgi-bin/
root = $T/cgi-bin
[app cgi2]
user = $APP_USER
type = cgi
prefix = /cgi2/
root = $T/cgi-bin
EOF
}

# The CPU time of process $1 so far in µs: from /proc/PID/sched where the
# kernel has it (ns precision), else /proc/PID/stat (clock ticks).
status_cpu_us()
{
	if grep -q '^se.sum_exec_runtime' "/proc/$1/sched" 2>/dev/null; then
		awk '$1 == "se.sum_exec_runtime" { printf "%.0f\n", $3 * 1000 }' \
		    "/proc/$1/sched"
	else
		awk -v hz="$(getconf CLK_TCK)" '{ s = $0; sub(/.*\) /, "", s)
		    split(s, a, " ")
		    printf "%.0f\n", (a[12] + a[13]) * 1000000 / hz }' \
		    "/proc/$1/stat"
	fi
}

# Starts the target in dir $1, status page $2 (on|off); 1 when it does
# not answer.
status_start()
{
	sd=$1
	mkdir -p "$sd"
	: > "$sd/roots"
	sport=$(free_port)
	echo "$sport" > "$sd/port"
	echo /app/hello > "$sd/path"
	status_conf "$sd" "$2" > "$sd/ferry.conf"
	$PIN "$BLD/ferryd" -c "$sd/ferry.conf" --listen "127.0.0.1:$sport" \
	    > "$sd/out.log" 2>&1 &
	add_root $! "$sd"
	[ "$2" = on ] && echo "$STATUS_HZ" > "$sd/hz"
	probe "$sport" /app/hello > /dev/null || return 1
	[ "$2" = off ] || probe "$sport" /ferry-status > /dev/null
}

# One wrk run on target dir $1 in mode $2 for $3 s: run_wrk's line, then
# ferryd's CPU µs during it and wrk's count of requests.  On the scraped
# target the scraper runs alongside and appends to $1/scrape.$4.
status_wrk()
{
	sd=$1 spid=
	sfpid=$(head -n 1 "$sd/roots")
	sc0=$(status_cpu_us "$sfpid")
	if [ -s "$sd/hz" ]; then
		timeout $(($3 + 30)) $PIN "$BLD/bench/status_scrape" \
		    -r "$(cat "$sd/hz")" -t "$3" "$(cat "$sd/port")" \
		    /ferry-status >> "$sd/scrape.$4" 2>&1 &
		spid=$!
		echo "$spid" >> "$ALLROOTS"
	fi
	sline=$(run_wrk "$sd" "$3" "$2")
	sc1=$(status_cpu_us "$sfpid")
	[ -z "$spid" ] || wait "$spid"
	echo "$sline $((${sc1:-0} - ${sc0:-0}))" \
	    "$(awk '$2 == "requests" && $3 == "in" { print $1 }' \
	    "$sd/wrk.out")"
}

# The page alone on the idle ferryd of dir $1: STATUS_FETCHES of each
# format, one after the other; the scraper's line and ferryd's CPU µs.
status_page()
{
	spid=$(head -n 1 "$1/roots")
	for f in json prometheus; do
		c0=$(status_cpu_us "$spid")
		timeout 150 $PIN "$BLD/bench/status_scrape" -f "$f" \
		    -n "$STATUS_FETCHES" -t 120 "$(cat "$1/port")" \
		    /ferry-status > "$1/page.$f" 2>&1
		c1=$(status_cpu_us "$spid")
		echo "$(cat "$1/page.$f") cpu_us $((${c1:-0} - ${c0:-0}))"
	done > "$RES/status.page"
}

status_run()
{
	for smode in ka close; do
		echo "running status ($smode) ..." >&2
		soff=$T/run/status.$smode.off son=$T/run/status.$smode.scraped
		if ! status_start "$soff" off || ! status_start "$son" on; then
			echo "status $smode: ferryd did not answer" \
			    >> "$RES/notes"
			stop_roots "$soff/roots"
			stop_roots "$son/roots"
			continue
		fi
		status_wrk "$soff" "$smode" "$WARM" warm > /dev/null
		status_wrk "$son" "$smode" "$WARM" warm > /dev/null
		sr=1
		while [ $sr -le "$STATUS_ROUNDS" ]; do
			order="off scraped"
			[ $((sr % 2)) = 0 ] && order="scraped off"
			for s in $order; do
				status_wrk "$T/run/status.$smode.$s" "$smode" \
				    "$STATUS_DUR" load \
				    >> "$RES/status.$smode.$s"
			done
			sr=$((sr + 1))
		done
		cp "$son/scrape.load" "$RES/status.$smode.scrape" 2>/dev/null
		if [ "$smode" = ka ]; then
			sleep 1		# wrk's connections closed
			status_page "$son"
		fi
		stop_roots "$soff/roots"
		stop_roots "$son/roots"
	done
}

if wl_on status && [ -x "$BLD/bench/status_scrape" ] &&
    command -v wrk >/dev/null 2>&1; then
	status_run
fi

# ---------------------------------------------------------------- lb

# Behind a load balancer (BENCH_WORKLOADS=lb): the fcgi-c workload's hello
# pool through haproxy, to one ferryd ("1") and to two ("2", round robin),
# each ferryd with its own pool of WORKERS and health_path checked by
# haproxy every second: LB_ROUNDS rounds of DUR seconds per connection
# mode, the two in turn, the order reversed every round.  The ratio 2/1
# is what a second instance adds on this machine, where haproxy, wrk and
# the ferryds share the cores (see bench/README.md).
LB_ROUNDS=${BENCH_LB_ROUNDS:-$((ROUNDS * 2))}

# Starts a ferryd with the hello pool and a health page; its port in
# LB_PORT, its pid a root of dir $1.
lb_ferry()
{
	LB_PORT=$(free_port)
	{
		ferry_server_conf "$1/error.$LB_PORT.log" error
		echo "health_path = /health"
		echo "instance = lb$LB_PORT"
		printf '[app hello]\ntype = fastcgi\nprefix = /app/\n'
		printf 'command = %s\nworkers = %s\nuser = %s\n' \
		    "$T/hello_fcgi" "$WORKERS" "$APP_USER"
	} > "$1/ferry.$LB_PORT.conf"
	$PIN "$BLD/ferryd" -c "$1/ferry.$LB_PORT.conf" \
	    --listen "127.0.0.1:$LB_PORT" > "$1/out.$LB_PORT.log" 2>&1 &
	add_root $! "$1"
}

# Starts $2 ferryds and haproxy in front of them in dir $1 (its port in
# $1/port); 1 when it does not answer.  (Its variables are lb*: probe
# and the others share the shell's.)
lb_start()
{
	lbd=$1
	mkdir -p "$lbd"
	: > "$lbd/roots"
	echo /app/hello > "$lbd/path"
	lbhport=$(free_port)
	echo "$lbhport" > "$lbd/port"
	lbservers=
	lbi=1
	while [ $lbi -le "$2" ]; do
		lb_ferry "$lbd"
		probe "$LB_PORT" /app/hello > /dev/null || return 1
		lbservers="$lbservers    server f$lbi 127.0.0.1:$LB_PORT check
"
		lbi=$((lbi + 1))
	done
	cat > "$lbd/haproxy.cfg" <<EOF
global
    maxconn $((MAXCONN * 2))
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
frontend web
    bind 127.0.0.1:$lbhport
    default_backend ferry
backend ferry
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    default-server inter 1s fall 2 rise 1
$lbservers
EOF
	$PIN haproxy -db -f "$lbd/haproxy.cfg" > "$lbd/haproxy.log" 2>&1 &
	add_root $! "$lbd"
	probe "$lbhport" /app/hello > /dev/null
}

lb_run()
{
	for lmode in ka close; do
		echo "running lb ($lmode) ..." >&2
		for n in 1 2; do
			if ! lb_start "$T/run/lb.$lmode.$n" "$n"; then
				echo "lb $lmode: haproxy to $n ferryd did" \
				    "not answer" >> "$RES/notes"
				stop_roots "$T/run/lb.$lmode.1/roots"
				stop_roots "$T/run/lb.$lmode.2/roots"
				continue 2
			fi
		done
		for n in 1 2; do
			run_wrk "$T/run/lb.$lmode.$n" "$WARM" "$lmode" \
			    > /dev/null
		done
		lr=1
		while [ $lr -le "$LB_ROUNDS" ]; do
			order="1 2"
			[ $((lr % 2)) = 0 ] && order="2 1"
			for n in $order; do
				run_wrk "$T/run/lb.$lmode.$n" "$DUR" "$lmode" \
				    >> "$RES/lb.$lmode.$n"
			done
			lr=$((lr + 1))
		done
		for n in 1 2; do
			stop_roots "$T/run/lb.$lmode.$n/roots"
		done
	done
}

if wl_on lb && command -v wrk >/dev/null 2>&1; then
	if command -v haproxy >/dev/null 2>&1; then
		lb_run
	else
		echo "lb: n/a (no haproxy: apt-get install haproxy)" \
		    >> "$RES/notes"
	fi
fi

# The report of lb_run (called from the report below).
lb_report()
{
	[ -s "$RES/lb.ka.1" ] || [ -s "$RES/lb.close.1" ] || return 0
	echo "== behind haproxy: hello FastCGI ($WORKERS workers per" \
	    "ferryd) through haproxy (round robin, health checks on" \
	    "/health) to 1 and to 2 ferryd instances, wrk -t$THREADS" \
	    "-c$CONNS; $LB_ROUNDS rounds of ${DUR}s per mode, the two in" \
	    "turn; medians over the rounds"
	printf '%-5s %-9s %9s %9s %9s %15s %s\n' conn ferryds "req/s" \
	    "p50 ms" "p99 ms" "min-max req/s" errors
	for lmode in ka close; do
		for n in 1 2; do
			f=$RES/lb.$lmode.$n
			[ -s "$f" ] || continue
			set -- $(stats "$f")
			printf '%-5s %-9s %9.0f %9.2f %9.2f %7.0f-%-7.0f %s\n' \
			    "$lmode" "$n" "$1" "$4" "$5" "$2" "$3" "$6"
		done
	done
	same_run_ratio lb 1 2 "lb (%s): %.0f/s through haproxy to 2 ferryd \
= %.3f x to 1 ferryd (%.0f/s)"
	echo
}

# The report of status_run (called from the report below).
status_report()
{
	[ -s "$RES/status.ka.off" ] || [ -s "$RES/status.close.off" ] ||
	    return 0
	echo "== the status page's cost: ferryd, hello FastCGI pool" \
	    "($WORKERS workers) + 3 idle apps, wrk -t$THREADS -c$CONNS;" \
	    "off: no status_path; scraped: status_path, bench/status_scrape" \
	    "fetching it $STATUS_HZ times a second (JSON and Prometheus in" \
	    "turn, a new connection each); $STATUS_ROUNDS rounds of" \
	    "${STATUS_DUR}s per mode, off and scraped in turn, the order" \
	    "reversed every round; medians over the rounds"
	printf '%-5s %-8s %9s %9s %9s %15s %13s %s\n' conn target "req/s" \
	    "p50 ms" "p99 ms" "min-max req/s" "ferryd us/req" errors
	for smode in ka close; do
		for s in off scraped; do
			f=$RES/status.$smode.$s
			[ -s "$f" ] || continue
			set -- $(stats "$f") \
			    $(awk '$7 > 0 { print $6 / $7 }' "$f" | med)
			printf '%-5s %-8s %9.0f %9.2f %9.2f %7.0f-%-7.0f %13.2f' \
			    "$smode" "$s" "$1" "$4" "$5" "$2" "$3" "$8"
			printf ' %s\n' "$6"
		done
	done
	for smode in ka close; do
		[ -s "$RES/status.$smode.off" ] &&
		    [ -s "$RES/status.$smode.scraped" ] || continue
		# Per round: req/s, p99 and ferryd's CPU per request,
		# scraped / off.
		paste -d ' ' "$RES/status.$smode.off" \
		    "$RES/status.$smode.scraped" | awk '$1 > 0 && $3 > 0 &&
		    $6 > 0 && $7 > 0 && $14 > 0 {
			print $8 / $1, $10 / $3, ($13 / $14) / ($6 / $7) }' \
		    > "$RES/status.$smode.ratios"
		for i in 1 2 3; do
			awk -v i=$i '{ print $i }' "$RES/status.$smode.ratios" |
			    sort -g > "$RES/status.$smode.r$i"
			echo "$(med < "$RES/status.$smode.r$i")" \
			    "$(head -n 1 "$RES/status.$smode.r$i")" \
			    "$(tail -n 1 "$RES/status.$smode.r$i")"
		done | awk -v m="$smode" -v n="$(wc -l < \
		    "$RES/status.$smode.ratios")" '
		    { med[NR] = $1; lo[NR] = $2; hi[NR] = $3 }
		    END { printf "%s scraped/off, per round, median of %d" \
			" (min-max): req/s %.3f (%.3f-%.3f), p99 %.2f" \
			" (%.2f-%.2f), ferryd CPU per request %.3f" \
			" (%.3f-%.3f)\n", m, n, med[1], lo[1], hi[1],
			med[2], lo[2], hi[2], med[3], lo[3], hi[3] }'
		sf=$RES/status.$smode.scrape
		[ -s "$sf" ] || continue
		awk -v m="$smode" -v p50="$(awk '{ print $9 }' "$sf" | med)" '
		    { n += $3; f += $5; if ($11 > p99) p99 = $11 }
		    END { printf "%s scraper under load: %d fetches, %d" \
			" failed, fetch p50 %.2f ms (median of the rounds),"\
			" p99 %.2f ms (the worst round)\n", m, n, f,
			p50 / 1000, p99 / 1000 }' "$sf"
	done
	if [ -s "$RES/status.page" ]; then
		echo "the page alone, idle, after the keep-alive rounds (4" \
		    "apps and the page's own (status)), $STATUS_FETCHES" \
		    "fetches of each format one after the other, a new" \
		    "connection each:"
		awk '{ per = $3 > 0 ? $15 / $3 : 0; cpu += per; n++
		    printf "%-10s %7d bytes  fetch p50 %6.0f us  p99 %6.0f" \
		    " us  failed %d  ferryd CPU %4.0f us per fetch\n", $1, $7,
		    $9, $11, $5, per }
		END { if (!n) exit
		    s = hz * cpu / n
		    printf "at %d fetches a second, half of each format:" \
		    " ferryd CPU %.2f ms a second (%.2f%% of one core)", hz,
		    s / 1000, s / 10000
		    if (rps > 0 && us > 0)
			printf "; ferryd spent %.0f ms a second on the" \
			    " keep-alive load (off: %.0f req/s x %.2f us):" \
			    " the scraper adds %.2f%% to it", rps * us / 1000,
			    rps, us, 100 * s / (rps * us)
		    printf "\n" }' hz="$STATUS_HZ" \
		    rps="$(stats "$RES/status.ka.off" | awk '{ print $1 }')" \
		    us="$(awk '$7 > 0 { print $6 / $7 }' "$RES/status.ka.off" |
		    med)" "$RES/status.page"
	fi
	echo
}

# ---------------------------------------------------------------- idle

# Opens IDLE_N idle keep-alive connections to one server; prints
# "LABEL BEFORE_KIB AFTER_KIB OPEN ALIVE" (RSS of the server's processes).
idle_one()
{
	s=$1 d=$T/run/idle.$s
	mkdir -p "$d"
	: > "$d/roots"
	echo / > "$d/path"
	"start_$s" ret "$d" || return 0
	port=$(cat "$d/port")
	probe "$port" /idle > /dev/null || { stop_roots "$d/roots"; return 0; }
	label=$(cat "$d/label" | sed 's/ .*//')
	before=$(sum_status VmRSS $(tree_pids $(cat "$d/roots")))
	mkfifo "$d/fifo"
	$PY "$SRC/bench/idle_conns.py" idle 127.0.0.1 "$port" /idle \
	    "$IDLE_N" 120 < "$d/fifo" > "$d/client.out" 2>&1 &
	cpid=$!
	exec 9> "$d/fifo"
	i=0
	while [ $i -lt 1200 ] && ! grep -q '^ready' "$d/client.out"; do
		sleep 0.1
		i=$((i + 1))
	done
	after=$(sum_status VmRSS $(tree_pids $(cat "$d/roots")))
	echo go >&9
	exec 9>&-
	wait "$cpid"
	open=$(awk '$1 == "ready" { print $2 }' "$d/client.out")
	alive=$(awk '$1 == "alive" { print $2 }' "$d/client.out")
	stop_roots "$d/roots"
	echo "$label $before $after ${open:-0} ${alive:-0}"
}

if [ "$IDLE_N" -gt 0 ]; then
	echo "running idle connections ..." >&2
	# Twice as many as needed: nginx closes idle keep-alive connections
	# when fewer than 1/16 of its connections are free.
	MAXCONN=$((IDLE_N * 2 + 100))
	for s in ferry nginx lighttpd; do
		idle_one "$s"
	done > "$RES/idle"
fi

# ---------------------------------------------------------------- report

med()
{
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print -1; exit }
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# "MEDIAN MIN MAX P50 P99 ERRORS MIBPS" of a result file.
stats()
{
	m=$(awk '{ print $1 }' "$1" | med)
	p50=$(awk '{ print $2 }' "$1" | med)
	p99=$(awk '{ print $3 }' "$1" | med)
	tp=$(awk '{ print $5 }' "$1" | med)
	awk -v m="$m" -v p50="$p50" -v p99="$p99" -v tp="$tp" '
	NR == 1 { min = $1; max = $1 }
	{ if ($1 < min) min = $1; if ($1 > max) max = $1; err += $4 }
	END { print m, min, max, p50, p99, err + 0, tp }' "$1"
}

echo "== load: median of $ROUNDS rounds of ${DUR}s, wrk -t$THREADS -c$CONNS" \
    "(ka = keep-alive, close = Connection: close)"
printf '%-8s %-5s %-22s %9s %9s %9s %15s %9s %10s %s\n' \
    workload conn server "req/s" "p50 ms" "p99 ms" "min-max req/s" \
    "MiB/s" "peak KiB" "ferry/this"
for w in $(wl_load); do
	for mode in ka close; do
		fst=
		[ -s "$RES/$w.$mode.ferry" ] &&
		    fst=$(stats "$RES/$w.$mode.ferry" | awk '{ print $1 }')
		for s in $(wl_servers "$w"); do
			f=$RES/$w.$mode.$s
			[ -f "$f.label" ] || continue
			label=$(cat "$f.label")
			if [ ! -s "$f" ]; then
				printf '%-8s %-5s %-22s %9s\n' "$w" "$mode" \
				    "$label" "n/a"
				continue
			fi
			set -- $(stats "$f")
			ratio=
			if [ "$s" != ferry ] && [ "$s" != ferrylf ] &&
			    [ -n "$fst" ] && { [ "$w" != noworker ] ||
			    [ "$s" = ferrybase ]; }; then
				ratio=$(awk -v a="$fst" -v b="$1" 'BEGIN {
				    if (a > 0 && b > 0) printf "%.2f", a / b
				    else print "n/a" }')
			fi
			[ "$6" -gt 0 ] && ratio="$ratio errors=$6"
			tput=-
			case $w in
			echo-1m|big-64m) tput=$7 ;;
			esac
			printf '%-8s %-5s %-22s %9.0f %9.2f %9.2f %7.0f-%-7.0f %9s %10s %s\n' \
			    "$w" "$mode" "$label" "$1" "$4" "$5" "$2" "$3" \
			    "$tput" "$(cat "$f.rss" 2>/dev/null)" "$ratio"
		done
	done
done
echo
echo "== ferry against the machine's limits (keep-alive)"
best1=$(awk '$2 == "1:" { v = $3; sub(/\/s/, "", v); if (v > m) m = v }
    END { print m + 0 }' "$RES/spawn")
best2=$(awk '$4 == "2:" { v = $5; sub(/\/s/, "", v); if (v > m) m = v }
    END { print m + 0 }' "$RES/spawn")
rtt=$(awk '{ v = $NF; sub(/\/s/, "", v); print v + 0 }' "$RES/rtt")
if [ -s "$RES/cgi-c.ka.ferry" ]; then
	f=$(stats "$RES/cgi-c.ka.ferry" | awk '{ print $1 }')
	awk -v f="$f" -v a="$best1" -v b="$best2" 'BEGIN {
	    printf "CGI hello: ferry %.0f/s = %.2f x best 1-process spawn rate" \
	        " (%.0f/s), %.2f x best 2-process rate (%.0f/s)\n",
	        f, f / a, a, f / b, b }'
else
	echo "CGI hello: n/a"
fi
if [ -s "$RES/fcgi-c.ka.ferry" ]; then
	f=$(stats "$RES/fcgi-c.ka.ferry" | awk '{ print $1 }')
	awk -v f="$f" -v r="$rtt" 'BEGIN {
	    if (r + 0 <= 0)
		printf "FastCGI hello: ferry %.0f/s (no socket pair" \
		    " figure)\n", f
	    else
		printf "FastCGI hello: ferry %.0f/s = %.2f x socket pair" \
		    " round trips (%.0f/s)\n", f, f / r, r }'
else
	echo "FastCGI hello: n/a (no FastCGI pool in ferry yet, or it failed)"
fi
if [ -s "$RES/fcgi-c.ka.ferrylf" ] && [ -s "$RES/fcgi-c.ka.nginx" ]; then
	f=$(stats "$RES/fcgi-c.ka.ferrylf" | awk '{ print $1 }')
	n=$(stats "$RES/fcgi-c.ka.nginx" | awk '{ print $1 }')
	awk -v f="$f" -v n="$n" 'BEGIN {
	    printf "libferry hello under ferry %.0f/s = %.2f x libfcgi hello" \
	        " under nginx+spawn-fcgi with keepalive (%.0f/s)\n", f, f / n, n }'
fi
# same_run_ratio WORKLOAD A B FORMAT: per connection mode, FORMAT
# printed with the mode, B's median rate, B / A and A's median rate.
same_run_ratio()
{
	for mode in ka close; do
		[ -s "$RES/$1.$mode.$2" ] && [ -s "$RES/$1.$mode.$3" ] ||
		    continue
		a=$(stats "$RES/$1.$mode.$2" | awk '{ print $1 }')
		b=$(stats "$RES/$1.$mode.$3" | awk '{ print $1 }')
		awk -v a="$a" -v b="$b" -v m="$mode" -v fmt="$4" \
		    'BEGIN { printf fmt "\n", m, b, b / a, a }'
	done
}
same_run_ratio notify ferrynh ferrynw "close-notify watch (%s): %.0f/s with \
ferry_notify_fd() + ferry_gone() per request = %.3f x the same handler \
without (%.0f/s)"
same_run_ratio fcgi-log ferrylc ferrylj "JSON access log (%s): %.0f/s with \
access_log_format = json = %.3f x the same with combined (%.0f/s)"
same_run_ratio proxy ferryhp0 ferryhp1 "PROXY protocol (%s): %.0f/s through \
haproxy with send-proxy-v2 to a proxy_protocol listener = %.3f x the same \
without (%.0f/s)"
for s in i1 i2 i3 i4; do
	[ -f "$RES/isolation.ka.ferry$s.label" ] || continue
	same_run_ratio isolation ferry "ferry$s" "isolation (%s): %.0f/s with \
$(sed 's/^ferry //' "$RES/isolation.ka.ferry$s.label") = %.3f x the plain \
CGI hello (%.0f/s)"
done
echo
if [ -s "$RES/notify-lat" ]; then
	echo "== close-notify latency: client close() to the worker's" \
	    "wake-up in ferry_wait_notify() (1 worker, sequential runs)"
	cat "$RES/notify-lat"
	echo
fi
if [ -s "$RES/hijack" ]; then
	echo "== hijack: ferryd + bench/hijack_app (libferry, 2 workers)," \
	    "one client, ${HIJACK_SECS}s each"
	awk '$1 == "hijacks/s" {
		printf "whole hijacks (request, hand-over, answer, close): %s/s\n", $2
		next }
	$1 == "size" && $3 == "echo-rtt/s" {
		printf "echo round trips of %s bytes: hijacked socket %s/s," \
		    " direct %s/s, ratio %s\n", $2, $5, $7, $9
		next }
	{ print }' "$RES/hijack"
	echo
fi
if [ -s "$RES/reload" ]; then
	echo "== reload under load: ferryd, FastCGI pool (bench/reload_app," \
	    "$WORKERS workers) + the same as CGI; wrk -t2 -c$RELOAD_CONNS" \
	    "keep-alive + the same with Connection: close (thread 1 on the" \
	    "pool, thread 2 on the CGI, waiting ${RELOAD_CGI_WAIT} ms on" \
	    "average before each request); $RELOADS SIGHUPs" \
	    "every ${RELOAD_EVERY}s, replace (new pool args and CGI root) and" \
	    "keep (CGI root only) in turn; windows of 1 s around each SIGHUP" \
	    "against the steady ones between"
	cat "$RES/reload"
	echo
fi
status_report
lb_report
if [ -s "$RES/idle" ]; then
	echo "== $IDLE_N idle keep-alive connections (RSS of the server's" \
	    "processes, user memory only)"
	printf '%-10s %12s %12s %8s %8s %14s\n' server "before KiB" \
	    "after KiB" open alive "bytes/alive"
	awk '{ per = $5 > 0 ? ($3 - $2) * 1024 / $5 : 0
	    printf "%-10s %12d %12d %8d %8d %14.0f\n", $1, $2, $3, $4, $5, per
	    }' "$RES/idle"
	echo
fi
if [ -s "$RES/notes" ]; then
	echo "== notes"
	sort -u "$RES/notes"
fi
echo "bench: done in $(( $(date +%s) - START ))s"
