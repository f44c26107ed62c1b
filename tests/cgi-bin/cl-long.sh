#!/bin/sh
# A Content-Length of its own and a body longer than any first buffer.
printf 'Content-Type: application/octet-stream\nContent-Length: 300000\n\n'
head -c 300000 /dev/zero
