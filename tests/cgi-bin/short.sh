#!/bin/sh
# Promises Content-Length: 1000 but writes 500 bytes and exits 0.
printf 'Content-Type: text/plain\nContent-Length: 1000\n\n'
head -c 500 /dev/zero | tr '\0' x
