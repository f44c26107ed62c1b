#!/bin/sh
# Writes 1000 numbered lines to stderr at once, then a normal response.
i=0
while [ $i -lt 1000 ]; do
	echo "ferry-flood $i"
	i=$((i + 1))
done >&2
printf 'Content-Type: text/plain\n\nflooded\n'
