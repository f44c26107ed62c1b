#!/bin/sh
# Answers "pid PID", its own pid (the process ferryd started), after
# burning a little CPU so that its rusage is not all zero.
i=0
while [ $i -lt 30000 ]; do i=$((i + 1)); done
printf 'Content-Type: text/plain\n\npid %s\n' "$$"
