#!/bin/sh
# QUERY_STRING is a path prefix P.  Starts `sleep 12` in a session of its
# own (setsid: it leaves the script's process group, so ferryd cannot
# kill it with the group), writes its pid to P.child and answers at once.
# The sleep keeps the script's stderr; its stdout goes to /dev/null,
# unless PATH_INFO is /stdout: then it keeps the script's stdout too.
# With PATH_INFO /noisy, `yes noise` writes to that stderr without end
# instead of the sleep.
p=$QUERY_STRING
case $PATH_INFO in
/stdout)	setsid sleep 12 & ;;
/noisy)		setsid sh -c 'exec yes noise >&2' >/dev/null & ;;
*)		setsid sleep 12 >/dev/null & ;;
esac
echo $! > "$p.child.tmp" && mv "$p.child.tmp" "$p.child"
printf 'Content-Type: text/plain\n\nstarted\n'
