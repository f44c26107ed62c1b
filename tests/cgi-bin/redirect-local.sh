#!/bin/sh
# A local redirect (RFC 3875 6.2.2): the server serves this path instead.
printf 'Location: /cgi-bin/query.sh?from-redirect\n\n'
