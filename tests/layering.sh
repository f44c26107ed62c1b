#!/bin/sh
# server/ has no include cycle between its rooms (doc/ARCHITECTURE.md,
# "Floors"): a room reaches one above it only through an ops struct, never
# by including its header.  A room is a file's name without .c/.h, and an
# x-int.h header belongs to room x; a type header x-t.h is a room of its
# own (it holds types, no calls).  Also: c->state is written only by
# conn_set_state.  Fails, naming the cycle, when a change breaks either.
cd "${top_srcdir:-.}" || exit 99
status=0
edges=$(for f in server/*.c server/*.h; do
	from=$(basename "$f"); from=${from%.?}; from=${from%-int}
	sed -n 's/^#include "server\/\([^"]*\)\.h".*/\1/p' "$f" |
	while read -r to; do
		to=${to%-int}
		[ "$to" != "$from" ] && echo "$from $to"
	done
done | sort -u)
# tsort reports a cycle on stderr; it still prints an order.
cycle=$(echo "$edges" | tsort 2>&1 >/dev/null)
if [ -n "$cycle" ]; then
	echo "server/ has an include cycle:"; echo "$cycle"; status=1
fi
bad=$(grep -nE '\<c->state[[:space:]]*=[^=]' server/*.c |
    grep -v '^server/conn.c:[0-9]*:	c->state = s;$')
if [ -n "$bad" ]; then
	echo "c->state written outside conn_set_state:"; echo "$bad"; status=1
fi
[ $status -eq 0 ] && echo "server/ has no include cycle"
exit $status
