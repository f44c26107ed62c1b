#!/bin/sh
# ferryd's command line: --version, --help and a bad option.
ferryd="${top_builddir:-.}/ferryd"
fail=0
out=$("$ferryd" --version) || { echo "--version exited non-zero"; fail=1; }
case $out in "ferryd "[0-9]*) ;; *) echo "--version printed: $out"; fail=1;; esac
"$ferryd" --help | grep -q -- '--listen ADDR' || { echo "--help lacks --listen"; fail=1; }
"$ferryd" --no-such-option >/dev/null 2>&1
[ $? -eq 2 ] || { echo "a bad option must exit 2"; fail=1; }
exit $fail
