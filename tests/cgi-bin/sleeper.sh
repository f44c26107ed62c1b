#!/bin/sh
# QUERY_STRING is a path prefix P.  Starts a child `sleep 30`, writes the
# child's pid to P.child and its own to P.pid, prints nothing, waits.
p=$QUERY_STRING
sleep 30 &
echo $! > "$p.child.tmp" && mv "$p.child.tmp" "$p.child"
echo $$ > "$p.pid.tmp" && mv "$p.pid.tmp" "$p.pid"
wait
: > "$p.done"
