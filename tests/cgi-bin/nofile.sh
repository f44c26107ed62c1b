#!/bin/sh
# The script's RLIMIT_NOFILE: soft and hard, one line.
printf 'Content-Type: text/plain\n\n%s %s\n' "$(ulimit -Sn)" "$(ulimit -Hn)"
