#!/bin/sh
# Dumps the environment it got, one NAME=value a line, after reading the
# request body (if any) so that the server is not left with unread bytes.
if [ -n "$CONTENT_LENGTH" ]; then
	head -c "$CONTENT_LENGTH" >/dev/null
fi
printf 'Content-Type: text/plain\n\n'
env
