#!/bin/sh
# Writes a marker line to stderr, then a normal response.
echo "ferry-stderr-marker one" >&2
printf 'Content-Type: text/plain\n\nok\n'
