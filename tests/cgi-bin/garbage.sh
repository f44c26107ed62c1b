#!/bin/sh
# Output without a CGI header block.
printf 'this is not a header block\nno colon here either\n'
