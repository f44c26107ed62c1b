#!/bin/sh
# QUERY_STRING is N or N:FILE: writes N random bytes as the body (and a
# copy to FILE, for the test to hash).
n=${QUERY_STRING%%:*}
printf 'Content-Type: application/octet-stream\n\n'
case $QUERY_STRING in
*:*)	head -c "$n" /dev/urandom | tee "${QUERY_STRING#*:}" ;;
*)	head -c "$n" /dev/urandom ;;
esac
