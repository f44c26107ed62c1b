#!/bin/sh
# Prints the script's resource limits (/proc/PID/limits) and whether it
# runs with no_new_privs (NoNewPrivs of /proc/PID/status).
printf 'Content-Type: text/plain\n\n'
cat /proc/$$/limits
grep NoNewPrivs /proc/$$/status
