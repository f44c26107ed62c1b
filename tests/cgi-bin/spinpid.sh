#!/bin/sh
# QUERY_STRING is a path prefix P.  Writes its pid to P.pid, then spins
# on the CPU until something stops it, printing nothing.
p=$QUERY_STRING
echo $$ > "$p.pid.tmp" && mv "$p.pid.tmp" "$p.pid"
while :; do :; done
