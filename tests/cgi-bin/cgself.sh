#!/bin/sh
# For cgroup_test: QUERY_STRING is its app's cgroup (a directory).  Finds
# its own cgroup below it (the one whose cgroup.procs lists $$) and,
# before it starts anything, answers "pid PID", "cgroup NAME" and
# "procs PIDS", what that cgroup held then.  Shell builtins only, so
# that nothing of its own is in the list but itself.  With PATH_INFO
# /daemon it then starts `sleep 60` as escape.sh does (forked twice, in a
# session of its own) and adds "daemon PID"; with /sleep it sleeps a
# second after answering.
mine= procs=
for d in "$QUERY_STRING"/*/; do
	all=
	while read -r p; do
		all="$all $p"
		[ "$p" = "$$" ] && mine=$d
	done < "${d}cgroup.procs"
	if [ -n "$mine" ]; then
		procs=$all
		break
	fi
done
mine=${mine%/}
printf 'Content-Type: text/plain\n\npid %s\ncgroup %s\nprocs%s\n' "$$" \
    "${mine##*/}" "$procs"
case $PATH_INFO in
/daemon)
	d=$(setsid sh -c 'sleep 60 </dev/null >/dev/null 2>&1 & echo $!' \
	    </dev/null 2>/dev/null)
	printf 'daemon %s\n' "$d" ;;
/sleep)
	sleep 1 ;;
esac
