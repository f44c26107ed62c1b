#!/bin/sh
# Installs ferry's dependencies from Debian's archive, builds ferry in
# _build/release and shows that ferryd runs.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/deps.sh"
ferry_install_deps $ferry_build_deps || exit 1
cd "$top" || exit 1
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }
mkdir -p _build/release && cd _build/release || exit 1
"$top/configure" -q && make -s -j"$(nproc 2>/dev/null || echo 2)" || exit 1
./ferryd --version
