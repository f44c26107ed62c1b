#!/bin/sh
# A bounded fork bomb: answers, then starts 40 `sleep 5` in the
# background, one after the other; a start the system refuses ends the
# script (the shell's "Cannot fork").
printf 'Content-Type: text/plain\n\nforking\n'
n=0
while [ $n -lt 40 ]; do
	sleep 5 &
	n=$((n + 1))
done
echo "started $n"
