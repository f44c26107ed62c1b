#!/bin/sh
# QUERY_STRING is a path prefix P.  Writes its pid to P.pid, then prints
# nothing until the test creates P.go (at most 20 s), then answers "late".
p=$QUERY_STRING
echo $$ > "$p.pid.tmp" && mv "$p.pid.tmp" "$p.pid"
i=0
while [ ! -e "$p.go" ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
printf 'Content-Type: text/plain\n\nlate\n'
