#!/bin/sh
# Not executable (mode 644): must never run.
printf 'Content-Type: text/plain\n\nnoexec-ran\n'
