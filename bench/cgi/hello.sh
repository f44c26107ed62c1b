#!/bin/sh
# The hello CGI in sh: a header and "hello".
printf 'Content-Type: text/plain\r\n\r\nhello\n'
