#!/bin/sh
# QUERY_STRING is a status code N: prints a block "Status: N" (and for
# N = 101u, "Status: 101" with "Upgrade: raw"), then the response "final".
case $QUERY_STRING in
101u)	printf 'Status: 101\nUpgrade: raw\n\n' ;;
*)	printf 'Status: %s\nX-Interim: yes\n\n' "$QUERY_STRING" ;;
esac
printf 'Content-Type: text/plain\n\nfinal\n'
