#!/bin/sh
# A local redirect whose Location the query picks: "space" and "hash" are
# no RFC 3875 local-pathquery (the server answers 502), "good" is one.
case "$QUERY_STRING" in
space)	loc='/cgi-bin/query.sh?a b' ;;
hash)	loc='/cgi-bin/query.sh?a#b' ;;
*)	loc='/cgi-bin/query.sh?a%20b' ;;
esac
printf 'Location: %s\n\n' "$loc"
