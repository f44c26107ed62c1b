#!/bin/sh
# Echoes QUERY_STRING as the body; CRLF line ends in the CGI head.
printf 'Content-Type: text/plain\r\n\r\n%s' "$QUERY_STRING"
