#!/bin/sh
# Prints CONTENT_LENGTH and the SHA-256 of the body, one a line.
printf 'Content-Type: text/plain\n\n'
printf '%s\n' "$CONTENT_LENGTH"
head -c "${CONTENT_LENGTH:-0}" | sha256sum -b | cut -d ' ' -f 1
