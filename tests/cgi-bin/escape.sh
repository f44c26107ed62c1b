#!/bin/sh
# QUERY_STRING is a path prefix P.  Starts `sleep 60` as a daemon would:
# forked twice, in a session of its own, its parent gone, its stdio on
# /dev/null (so nothing of the script's ties it to the request).  Writes
# its pid to P.child and the script's own to P.pid, then waits without
# answering.
p=$QUERY_STRING
setsid sh -c 'sleep 60 </dev/null >/dev/null 2>&1 &
echo $! > "$1.child.tmp" && mv "$1.child.tmp" "$1.child"' sh "$p" \
    </dev/null >/dev/null 2>&1
echo $$ > "$p.pid.tmp" && mv "$p.pid.tmp" "$p.pid"
exec sleep 30
