#!/bin/sh
# A client redirect (RFC 3875 6.2.3): the server answers 302.
printf 'Location: http://example.test/elsewhere\n\n'
