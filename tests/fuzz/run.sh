#!/bin/sh
# Runs each libFuzzer target for SECONDS on a scratch copy of its committed
# corpus (so that new inputs never dirty the tree) and prints one line per
# target: "fuzz: NAME passed" or "fuzz: NAME failed".  Exits 1 when any
# target found a crash; the crashing input is kept in the build directory.
# usage: run.sh SRCDIR SECONDS TARGET...
srcdir=$1; seconds=$2; shift 2
status=0
for target in "$@"; do
	name=$(basename "$target" _fuzz)
	work=$(mktemp -d)
	cp -R "$srcdir/tests/fuzz/corpus/$name/." "$work/" 2>/dev/null
	dict=""
	[ -f "$srcdir/tests/fuzz/$name.dict" ] && [ -s "$srcdir/tests/fuzz/$name.dict" ] && \
		dict="-dict=$srcdir/tests/fuzz/$name.dict"
	if "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
	    -artifact_prefix="./$name-" -print_final_stats=1 $dict "$work" \
	    > "$name-fuzz.log" 2>&1; then
		echo "fuzz: $name passed ($(grep -c . "$name-fuzz.log") log lines)"
	else
		echo "fuzz: $name failed, see $name-fuzz.log:"
		tail -n 40 "$name-fuzz.log"
		status=1
	fi
	rm -rf "$work"
done
exit $status
