#!/bin/sh
# QUERY_STRING is a path prefix P.  Starts `sleep 12` in a session of its
# own (setsid: it leaves the script's process group, so ferryd cannot
# kill it with the group), writes its pid to P.child and answers at once.
# The sleep keeps the script's stderr; its stdout goes to /dev/null,
# unless PATH_INFO is /stdout: then it keeps the script's stdout too.
# With PATH_INFO /noisy, `yes noise` writes to that stderr without end
# instead of the sleep.
# The script exits only once the child has left its group (the child says
# so through the FIFO P.sync): else ferryd, killing the group of the
# script that exited, may kill the child too (it did, under CPU load).
p=$QUERY_STRING
mkfifo "$p.sync" || exit 1
case $PATH_INFO in
/stdout)	setsid sh -c 'echo $$ > "$1.sync"; exec sleep 12' sh "$p" & ;;
/noisy)		setsid sh -c 'echo $$ > "$1.sync"; exec yes noise >&2' sh "$p" \
		    >/dev/null & ;;
*)		setsid sh -c 'echo $$ > "$1.sync"; exec sleep 12' sh "$p" \
		    >/dev/null & ;;
esac
read child < "$p.sync"
rm -f "$p.sync"
echo "$child" > "$p.child.tmp" && mv "$p.child.tmp" "$p.child"
printf 'Content-Type: text/plain\n\nstarted\n'
