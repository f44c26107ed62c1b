#!/bin/sh
# A complete response, then a non-zero exit status.
printf 'Content-Type: text/plain\n\ncomplete output\n'
exit 3
