#!/bin/sh
# Prints CONTENT_LENGTH=N on a line, then the request body it read.
printf 'Content-Type: application/octet-stream\n\n'
printf 'CONTENT_LENGTH=%s\n' "$CONTENT_LENGTH"
if [ -n "$CONTENT_LENGTH" ]; then
	head -c "$CONTENT_LENGTH"
fi
