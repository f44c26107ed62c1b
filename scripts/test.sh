#!/bin/sh
# Builds ferry and runs the whole test suite: the unit and integration tests
# under ASan/UBSan with warnings as errors, `make distcheck`, and every fuzz
# target for FUZZ_SECONDS (default 60).  Ends with "N passed, N failed".
# Usage: scripts/test.sh   (as root on Debian 12, or with the packages of
# scripts/deps.sh installed)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/deps.sh"
ferry_install_deps $ferry_build_deps $ferry_test_deps || exit 1

cd "$top" || exit 1
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }
jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0

# count FILE...: add the results of automake's .trs files to the totals; a
# Check program counts each of its checks, anything else counts once.
count() {
	for trs in "$@"; do
		[ -f "$trs" ] || continue
		log=${trs%.trs}.log
		res=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
		line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$log" 2>/dev/null | tail -n 1)
		if [ -n "$line" ]; then
			n=$(echo "$line" | sed 's/.*Checks: \([0-9]*\).*/\1/')
			f=$(echo "$line" | sed 's/.*Failures: \([0-9]*\).*/\1/')
			e=$(echo "$line" | sed 's/.*Errors: \([0-9]*\).*/\1/')
			passed=$((passed + n - f - e)); failed=$((failed + f + e))
			# a clean run that still failed (a leak, a crash at exit)
			[ "$res" != PASS ] && [ $((f + e)) -eq 0 ] && failed=$((failed + 1))
		elif [ "$res" = PASS ] || [ "$res" = SKIP ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
}

step() {
	echo "== $*"
}

# 1. Unit and integration tests, sanitized.
b="$top/_build/check"
rm -rf "$b" && mkdir -p "$b" && cd "$b" || exit 1
step "configure --enable-werror --enable-sanitizers"
if "$top/configure" -q --enable-werror --enable-sanitizers && make -s -j"$jobs"; then
	step "make check"
	make -j"$jobs" check >check.out 2>&1
	grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):' check.out
	count $(find tests -name '*.trs')
	# each failing program: its failed checks, then the end of its log
	for trs in $(grep -lE '^:test-result: (FAIL|ERROR)' $(find tests -name '*.trs') 2>/dev/null); do
		log=${trs%.trs}.log
		echo "---- $log"
		grep -E ':[FE]:' "$log" | head -n 20
		echo "---- end of $log"; tail -n 40 "$log"
	done
else
	echo "build failed"; failed=$((failed + 1))
fi

# 2. make distcheck: the tarball builds, tests, installs and cleans up.
b="$top/_build/dist"
rm -rf "$b" && mkdir -p "$b" && cd "$b" || exit 1
step "make distcheck"
if "$top/configure" -q && make -j"$jobs" distcheck >distcheck.out 2>&1; then
	echo "PASS: distcheck"; passed=$((passed + 1))
else
	echo "FAIL: distcheck"; failed=$((failed + 1))
	# the failed checks of each failing program in the unpacked tree,
	# each with what follows it (the harness appends ferryd's log)
	for log in $(grep -lE ':[FE]:' $(find . -path '*/tests/*' -name '*.log') 2>/dev/null); do
		echo "---- $log"; grep -A 40 -E ':[FE]:' "$log" | head -n 120
	done
	tail -n 60 distcheck.out
fi

# 3. Fuzz targets, each for a bounded time.
b="$top/_build/fuzz"
rm -rf "$b" && mkdir -p "$b" && cd "$b" || exit 1
step "fuzz, ${FUZZ_SECONDS:-60} s per target"
if CC=clang "$top/configure" -q --enable-fuzz && make -s -j"$jobs" >/dev/null; then
	make -s fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >fuzz.out 2>&1
	cat fuzz.out
	passed=$((passed + $(grep -c '^fuzz: .* passed' fuzz.out)))
	failed=$((failed + $(grep -c '^fuzz: .* failed' fuzz.out)))
else
	echo "FAIL: fuzz build"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
