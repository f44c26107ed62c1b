#!/bin/sh
# libferry apps under nginx's fastcgi_pass, and the pkg-config line of the
# acceptance of issue 5: an app built with
#     cc app.c $(pkg-config --cflags --libs ferry)
# against libferry installed (here: to a temporary DESTDIR) runs under
# ferryd and under nginx.  Run by make check; installs nothing.  nginx is
# Debian's nginx-light (scripts/deps.sh): without /usr/sbin/nginx this test
# fails and says so.
#
# Every server and app is started here with a temporary configuration, on a
# unix socket or a free 127.0.0.1 port, and stopped by its pid.  Prints one
# PASS/FAIL line per check and, last, Check's summary line
# ("NN%: Checks: N, Failures: F, Errors: 0"), which scripts/test.sh counts.

set -u

NGINX=${NGINX:-/usr/sbin/nginx}
bld=$(cd "${top_builddir:-.}" && pwd) || exit 99
src=$(cd "${top_srcdir:-.}" && pwd) || exit 99
apps=${FERRY_TEST_FERRY_APPS:-$bld/tests/ferry-apps}
ferryd=${FERRYD:-$bld/ferryd}

checks=0
failures=0
pids=

pass()
{
	checks=$((checks + 1))
	echo "PASS: $1"
}

fail()
{
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "FAIL: $1"
}

summary()
{
	pct=100
	[ "$checks" -gt 0 ] && pct=$(( (checks - failures) * 100 / checks ))
	echo "$pct%: Checks: $checks, Failures: $failures, Errors: 0"
}

if [ ! -x "$NGINX" ]; then
	echo "FAIL: $NGINX is missing: install Debian's nginx-light" \
	    "(scripts/deps.sh lists it in ferry_test_deps)"
	echo "0%: Checks: 1, Failures: 1, Errors: 0"
	exit 1
fi
for tool in curl pkg-config cc; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "FAIL: $tool is missing"
		echo "0%: Checks: 1, Failures: 1, Errors: 0"
		exit 1
	fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/nginx-libferry.XXXXXX") || exit 99
# longpoll's event file: never created, so its answer is "timeout".
LONGPOLL_FILE=$T/no-event
export LONGPOLL_FILE

# Stops what this script started, by pid: TERM, then KILL after 3 s.
stop_pid()
{
	kill -TERM "$1" 2>/dev/null || return 0
	i=0
	while [ $i -lt 30 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup()
{
	for p in $pids; do
		stop_pid "$p"
	done
	if [ "$failures" -gt 0 ] || [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T for a look"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A 127.0.0.1 port nobody listens on now (from /proc/net/tcp); a race
# with another test is caught by the caller, which retries.
free_port()
{
	awk -v seed="$$$1" 'BEGIN { srand(seed) }
	NR > 1 && $4 == "0A" { split($2, a, ":"); used[a[2]] = 1 }
	END {
		for (;;) {
			p = 20000 + int(rand() * 40000)
			if (!(sprintf("%04X", p) in used)) { print p; exit }
		}
	}' /proc/net/tcp
}

# Waits up to 5 s for unix socket $1 to appear while pid $2 lives.
wait_socket()
{
	i=0
	while [ $i -lt 100 ]; do
		[ -S "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# Waits up to 5 s for 127.0.0.1:$1 to answer HTTP at path $3 (default /)
# while pid $2 lives.
wait_http()
{
	i=0
	while [ $i -lt 100 ]; do
		curl -s -o /dev/null --max-time 3 \
		    "http://127.0.0.1:$1${3:-/}" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# Starts a libferry app: start_app NAME PROGRAM; the socket is $T/NAME.sock.
start_app()
{
	"$2" --listen "unix:$T/$1.sock" > "$T/$1.log" 2>&1 < /dev/null &
	app_pid=$!
	pids="$pids $app_pid"
	wait_socket "$T/$1.sock" "$app_pid"
}

# Starts nginx with fastcgi_pass to unix:$T/$1.sock on a free port, ready
# when path $2 answers: sets nginx_port and nginx_pid.
start_nginx()
{
	d=$T/nginx-$1
	mkdir -p "$d/tmp"
	attempt=0
	while [ $attempt -lt 5 ]; do
		attempt=$((attempt + 1))
		nginx_port=$(free_port "$attempt")
		cat > "$d/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log info;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $d/tmp/body;
	fastcgi_temp_path $d/tmp/fastcgi;
	proxy_temp_path $d/tmp/proxy;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	client_max_body_size 8m;
	server {
		listen 127.0.0.1:$nginx_port;
		location / {
			fastcgi_param QUERY_STRING \$query_string;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param CONTENT_TYPE \$content_type;
			fastcgi_param CONTENT_LENGTH \$content_length;
			fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
			fastcgi_param REQUEST_URI \$request_uri;
			fastcgi_param SERVER_PROTOCOL \$server_protocol;
			fastcgi_param GATEWAY_INTERFACE CGI/1.1;
			fastcgi_param SERVER_SOFTWARE nginx;
			fastcgi_param REMOTE_ADDR \$remote_addr;
			fastcgi_param REMOTE_PORT \$remote_port;
			fastcgi_param SERVER_ADDR \$server_addr;
			fastcgi_param SERVER_PORT \$server_port;
			fastcgi_param SERVER_NAME \$server_name;
			fastcgi_pass unix:$T/$1.sock;
		}
	}
}
EOF
		"$NGINX" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" \
		    > "$d/out.log" 2>&1 < /dev/null &
		nginx_pid=$!
		pids="$pids $nginx_pid"
		wait_http "$nginx_port" "$nginx_pid" "$2" && return 0
		stop_pid "$nginx_pid"
		grep -q "in use" "$d/error.log" "$d/out.log" 2>/dev/null ||
		    break
	done
	echo "nginx did not start:"
	cat "$d/out.log" "$d/error.log" 2>/dev/null | tail -n 20
	return 1
}

# check NAME EXPECTED URL [CURL-ARGS...]: the body of the answer is EXPECTED.
check()
{
	name=$1 want=$2 url=$3
	shift 3
	got=$(curl -s --max-time 10 "$@" "$url")
	if [ "$got" = "$want" ]; then
		pass "$name"
	else
		fail "$name: got \"$got\", want \"$want\""
	fi
}

# ---- 1. notifyapp (tests/ferry-apps) under nginx: plain FastCGI

if start_app notifyapp "$apps/notifyapp" &&
    start_nginx notifyapp /app/hello; then
	base=http://127.0.0.1:$nginx_port
	check "nginx: GET" hello "$base/app/hello"
	check "nginx: POST echo" "a posted body" "$base/app/echo" \
	    --data-binary "a posted body" -H "Content-Type: text/plain"
	# 300 KiB: many FCGI_STDIN records, and nginx buffers it to a file.
	awk 'BEGIN { for (i = 0; i < 3000; i++)
	    printf "%099d\n", i }' > "$T/big.txt"
	curl -s --max-time 20 --data-binary "@$T/big.txt" \
	    -H "Content-Type: application/octet-stream" \
	    -o "$T/big.out" "$base/app/echo"
	if cmp -s "$T/big.txt" "$T/big.out"; then
		pass "nginx: POST echo of 300 KiB"
	else
		fail "nginx: POST echo of 300 KiB: got $(wc -c < "$T/big.out"
		    ) bytes back"
	fi
	# nginx offers no ferry extension: no notification, no error.
	check "nginx: no close-notify, none made up" "start=0 end=0" \
	    "$base/app/watch?tag=n&steps=a&ms=300"
else
	fail "nginx: notifyapp under nginx did not start: $(tail -n 5 \
	    "$T/notifyapp.log" 2>/dev/null)"
fi

# ---- 2. make install to a DESTDIR, then the pkg-config line

dest=$T/dest
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$bld" \
    DESTDIR="$dest" install-libLTLIBRARIES install-includeHEADERS \
    install-pkgconfigDATA > "$T/install.log" 2>&1; then
	pass "make install (libferry, ferry.h, ferry.pc) to a DESTDIR"
else
	fail "make install to a DESTDIR: $(tail -n 5 "$T/install.log")"
fi
pcdir=$(find "$dest" -name ferry.pc 2>/dev/null | head -n 1)
pcdir=${pcdir%/ferry.pc}
# The installed files as pkg-config describes them, under the DESTDIR.
PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
# pkgconf puts the sysroot in front of libdir, pkg-config does not.
libdir=$(pkg-config --variable=libdir ferry 2>/dev/null)
case $libdir in
"$dest"/*) ;;
*) libdir=$dest$libdir ;;
esac
# A sanitized libferry needs the sanitizer runtime first in the app too.
san=$(sed -n 's/^SAN_FLAGS = //p' "$bld/Makefile")
if [ -n "$pcdir" ] &&
    cc $san -o "$T/longpoll" "$src/examples/longpoll/longpoll.c" \
    $(pkg-config --cflags --libs ferry) > "$T/cc.log" 2>&1; then
	pass "cc longpoll.c \$(pkg-config --cflags --libs ferry)"
	LD_LIBRARY_PATH=$libdir
	export LD_LIBRARY_PATH
else
	fail "cc longpoll.c \$(pkg-config --cflags --libs ferry): $(tail \
	    -n 5 "$T/cc.log" 2>/dev/null)"
fi

# ---- 3. that app under nginx and under ferryd

if [ -x "$T/longpoll" ]; then
	if start_app longpoll "$T/longpoll" &&
	    start_nginx longpoll "/poll?wait=1"; then
		check "pkg-config app under nginx" timeout \
		    "http://127.0.0.1:$nginx_port/poll?wait=1"
		# The client leaves: nginx closes its FastCGI connection,
		# which libferry reports as GONE.
		curl -s --max-time 1 -o /dev/null \
		    "http://127.0.0.1:$nginx_port/poll?wait=30"
		i=0
		while [ $i -lt 50 ] && ! grep -q "client left" \
		    "$T/longpoll.log"; do
			sleep 0.1
			i=$((i + 1))
		done
		if grep -q "client left" "$T/longpoll.log"; then
			pass "pkg-config app under nginx: client gone"
		else
			fail "pkg-config app under nginx: its client left," \
			    "the app did not hear of it: $(tail -n 3 \
			    "$T/longpoll.log")"
		fi
	else
		fail "pkg-config app under nginx did not start"
	fi
	# ferryd passes only the variables named by env to its workers.
	cat > "$T/ferry.conf" <<EOF
[app poll]
type = fastcgi
prefix = /poll
command = $T/longpoll
workers = 1
user = $(id -un)
env = LD_LIBRARY_PATH LONGPOLL_FILE
EOF
	attempt=0
	while [ $attempt -lt 5 ]; do
		attempt=$((attempt + 1))
		port=$(free_port "f$attempt")
		"$ferryd" -c "$T/ferry.conf" --listen "127.0.0.1:$port" \
		    --error-log "$T/ferryd.log" --access-log /dev/null \
		    > "$T/ferryd.out" 2>&1 < /dev/null &
		fpid=$!
		pids="$pids $fpid"
		wait_http "$port" "$fpid" && break
		stop_pid "$fpid"
		grep -q "in use" "$T/ferryd.log" "$T/ferryd.out" \
		    2>/dev/null || break
	done
	check "pkg-config app under ferryd" timeout \
	    "http://127.0.0.1:$port/poll?wait=1"
fi

summary
[ "$failures" -eq 0 ]
