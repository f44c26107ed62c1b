#!/bin/sh
# QUERY_STRING is a path prefix P.  Writes its pid to P.pid, prints a head
# and a first line, then waits (at most 20 s) for the test to create P.go,
# prints a second line and creates P.done.
p=$QUERY_STRING
echo $$ > "$p.pid.tmp" && mv "$p.pid.tmp" "$p.pid"
printf 'Content-Type: text/plain\n\nfirst\n'
i=0
while [ ! -e "$p.go" ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
printf 'second\n'
: > "$p.done"
