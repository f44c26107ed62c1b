#!/bin/sh
# QUERY_STRING is a path P: the script becomes head(1) writing 2 MiB of
# zeros to P (a file size limit below that stops it with SIGXFSZ).
exec head -c 2097152 /dev/zero > "$QUERY_STRING"
