#!/bin/sh
# Reads its whole request body, then works QUERY_STRING seconds before it
# answers "read N".
n=$(head -c "${CONTENT_LENGTH:-0}" | wc -c | tr -d ' ')
sleep "${QUERY_STRING:-0}"
printf 'Content-Type: text/plain\n\nread %s\n' "$n"
