#!/bin/sh
# Installs ferry's dependencies from Debian's archive, builds ferry in
# _build/release and runs ferryd in the foreground on 127.0.0.1:8080,
# serving the example CGI scripts of examples/cgi-bin under /cgi-bin/.
# Stop it with Ctrl-C (a graceful stop).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/deps.sh"
ferry_install_deps $ferry_build_deps || exit 1
cd "$top" || exit 1
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }
mkdir -p _build/release && cd _build/release || exit 1
"$top/configure" -q && make -s -j"$(nproc 2>/dev/null || echo 2)" || exit 1
echo "ferryd: serving $top/examples on http://127.0.0.1:8080/cgi-bin/ (Ctrl-C stops)"
exec ./ferryd -c "$top/examples/ferry.conf" "$@"
