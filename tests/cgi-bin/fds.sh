#!/bin/sh
# Lists the open fds of a process it execs (ls): 0, 1, 2 and the one ls
# opens to read the directory; anything more leaked from the server.
printf 'Content-Type: text/plain\n\n'
ls -l /proc/self/fd
