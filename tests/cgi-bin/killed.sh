#!/bin/sh
# Writes a head and 256 KiB of body, then dies by SIGKILL.
printf 'Content-Type: application/octet-stream\n\n'
head -c 262144 /dev/zero
kill -9 $$
