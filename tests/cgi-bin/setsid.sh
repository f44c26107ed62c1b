#!/bin/sh
# For sandbox_test: starts `sleep 30` in a session of its own (setsid: it
# leaves the script's process group), which outlives the script unless a
# pid namespace ends with the script, and answers at once with the line
# "ns LINK", the script's pid namespace.
setsid sleep 30 </dev/null >/dev/null 2>&1 &
printf 'Content-Type: text/plain\n\nns %s\n' "$(readlink /proc/self/ns/pid)"
