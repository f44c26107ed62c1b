#!/bin/sh
# ferryd's command line: --version, --help, a bad option, and -t (the
# configuration test) on good configurations and a table of broken ones.
ferryd="${top_builddir:-.}/ferryd"
src=$(cd "${top_srcdir:-.}" && pwd)
fail=0
out=$("$ferryd" --version) || { echo "--version exited non-zero"; fail=1; }
case $out in "ferryd "[0-9]*) ;; *) echo "--version printed: $out"; fail=1;; esac
"$ferryd" --help | grep -q -- '--listen ADDR' || { echo "--help lacks --listen"; fail=1; }
"$ferryd" --help | grep -q -- '--test' || { echo "--help lacks --test"; fail=1; }
"$ferryd" --no-such-option >/dev/null 2>&1
[ $? -eq 2 ] || { echo "a bad option must exit 2"; fail=1; }

d=$(mktemp -d "${TMPDIR:-/tmp}/ferryd-cli.XXXXXX") || exit 99
trap 'rm -rf "$d"' EXIT
cgi=${FERRY_TEST_CGI_BIN:-$src/tests/cgi-bin}
apps=${FERRY_TEST_FCGI_APPS:-${top_builddir:-.}/tests/fcgi-apps}
examples=${FERRY_TEST_EXAMPLES:-${top_builddir:-.}/examples}

# ok FILE: -t passes on FILE, says so on stdout, binds nothing.
ok() {
	out=$("$ferryd" -t -c "$1" 2>"$d/err")
	rc=$?
	if [ $rc -ne 0 ] || [ "$out" != "ferryd: configuration $1 is ok" ]; then
		echo "-t -c $1: exit $rc, \"$out\", stderr: $(cat "$d/err")"
		fail=1
	fi
}

# The bundled example, with its programs taken from this build.
sed -e "s|^command = \.\./_build/release/examples/|command = $examples/|" \
    -e "s|^root = cgi-bin|root = $src/examples/cgi-bin|" \
    "$src/examples/ferry.conf" > "$d/example.conf"
ok "$d/example.conf"
# The default configuration make install ships.
ok "$src/contrib/ferry.conf"

# A configuration that sets every kind of key.
cat > "$d/all.conf" <<CONF
[server]
listen = 127.0.0.1:1
listen = unix:$d/s.sock
access_log = $d/access.log
error_log = $d/error.log
log_level = debug
max_body_size = 1M
body_min_rate = 500
[app cgi]
type = cgi
prefix = /cgi-bin/
root = $cgi
user = nobody
half_close = answer
request_buffering = 64K
[app r]
type = fastcgi
prefix = /r
command = $apps/responder
workers = 2
user = root
hijack_grace = 5
request_buffering = off
CONF
ok "$d/all.conf"
[ -e "$d/s.sock" ] && { echo "-t bound a listener"; fail=1; }
"$ferryd" -t --listen 127.0.0.1:8080 >/dev/null 2>&1 ||
    { echo "-t with the command line alone failed"; fail=1; }

# bad NAME WANT CONTENT: -t fails (exit 2) and stderr has WANT.
bad() {
	printf '%s' "$3" > "$d/$1.conf"
	"$ferryd" -t -c "$d/$1.conf" >"$d/out" 2>"$d/err"
	rc=$?
	if [ $rc -ne 2 ] || ! grep -qF -- "$2" "$d/err" || [ -s "$d/out" ]; then
		echo "-t on $1: exit $rc, stderr \"$(cat "$d/err")\", want" \
		    "exit 2 and \"$2\""
		fail=1
	fi
}
bad key "$d/key.conf:2: " '[server]
no_such_key = 1
'
bad listen "$d/listen.conf:2: listen: nope" '[server]
listen = nope
'
bad root "$d/root.conf:4: root: " '[app a]
type = cgi
prefix = /a/
root = /nonexistent/dir
'
bad prog "$d/prog.conf:4: command: " "[app a]
type = fastcgi
prefix = /a
command = $d/prog.conf
"
bad user "$d/user.conf:5: user: " "[app a]
type = cgi
prefix = /a/
root = $cgi
user = no-such-user-here
"
# As root an app must name its user: root only by choice.
if [ "$(id -u)" = 0 ]; then
	bad asroot "$d/asroot.conf: [app a]: its processes would run as root" \
	    "[app a]
type = cgi
prefix = /a/
root = $cgi
"
	"$ferryd" -t --cgi "/=$cgi" >/dev/null 2>"$d/err"
	rc=$?
	if [ $rc -ne 2 ] || ! grep -qF -- "--cgi /=" "$d/err" ||
	    ! grep -qF -- "give --user USER" "$d/err"; then
		echo "-t --cgi as root: exit $rc, \"$(cat "$d/err")\""
		fail=1
	fi
	"$ferryd" -t --cgi "/=$cgi" --user root >/dev/null 2>"$d/err" || {
		echo "-t --cgi --user root: \"$(cat "$d/err")\""
		fail=1
	}
fi
"$ferryd" -t --user nobody >/dev/null 2>"$d/err"
if [ $? -ne 2 ] || ! grep -qF -- "--user is the user of" "$d/err"; then
	echo "-t --user without apps: \"$(cat "$d/err")\""
	fail=1
fi
bad twice "$d/twice.conf:3: " '[server]
log_level = info
log_level = warn
'
bad log "error_log /nonexistent/dir/e.log: " '[server]
error_log = /nonexistent/dir/e.log
'
bad buffering "$d/buffering.conf:4: request_buffering: " "[app a]
type = cgi
prefix = /a/
request_buffering = sometimes
root = $cgi
"
"$ferryd" -t -c "$d" >/dev/null 2>"$d/err"
rc=$?
if [ $rc -ne 2 ] || ! grep -q "Is a directory" "$d/err"; then
	echo "-t -c DIR: exit $rc, \"$(cat "$d/err")\""
	fail=1
fi
exit $fail
