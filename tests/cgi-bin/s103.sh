#!/bin/sh
# A 103 Early Hints with a Link field, then the response (RFC 8297).  With
# QUERY_STRING a path prefix P, waits (at most 20 s) for the test to create
# P.go between the two.
printf 'Status: 103 Early Hints\nLink: </style.css>; rel=preload\n\n'
p=$QUERY_STRING
i=0
while [ -n "$p" ] && [ ! -e "$p.go" ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
printf 'Content-Type: text/plain\n\nafter hints\n'
