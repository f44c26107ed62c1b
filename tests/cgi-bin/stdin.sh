#!/bin/sh
# Counts the bytes of its stdin, whatever CONTENT_LENGTH says: "stdin N".
printf 'Content-Type: text/plain\n\n'
printf 'stdin %s\n' "$(wc -c | tr -d ' ')"
