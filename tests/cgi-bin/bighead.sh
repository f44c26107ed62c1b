#!/bin/sh
# A CGI header field of 1 MiB: over any sane header block limit.
printf 'Content-Type: text/plain\nX-Big: '
head -c 1048576 /dev/zero | tr '\0' a
printf '\n\nbody\n'
