#!/bin/sh
# QUERY_STRING is a path prefix P.  Starts `sleep 12` in a session of its
# own (setsid: it leaves the script's process group, so ferryd cannot
# kill it with the group), writes its pid to P.child and answers at once.
# The sleep keeps the script's stderr; its stdout goes to /dev/null,
# unless PATH_INFO is /stdout: then it keeps the script's stdout too.
p=$QUERY_STRING
if [ "$PATH_INFO" = /stdout ]; then
	setsid sleep 12 &
else
	setsid sleep 12 >/dev/null &
fi
echo $! > "$p.child.tmp" && mv "$p.child.tmp" "$p.child"
printf 'Content-Type: text/plain\n\nstarted\n'
