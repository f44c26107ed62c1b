#!/bin/sh
# Shows the CGI meta-variables (RFC 3875 section 4.1) this request got.
printf 'Content-Type: text/plain\n\n'
env | LC_ALL=C sort
