#!/bin/sh
# Promises Content-Length: 3 and writes "hello": in one write, or with
# QUERY_STRING "late" the body 0.3 s after the head (which has gone out
# by then).
if [ "$QUERY_STRING" = late ]; then
	printf 'Content-Type: text/plain\nContent-Length: 3\n\n'
	sleep 0.3
	printf 'hello'
else
	printf 'Content-Type: text/plain\nContent-Length: 3\n\nhello'
fi
