#!/bin/sh
# A local redirect to itself: the server must stop re-dispatching.
printf 'Location: /cgi-bin/redirect-loop.sh\n\n'
