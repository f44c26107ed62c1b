#!/bin/sh
# protocol/ is pure (doc/ARCHITECTURE.md, "Floors"): no sockets, no libev, no I/O
# calls, no mutable globals.  This test fails when a file there breaks that.
cd "${top_srcdir:-.}" || exit 99
status=0
bad=$(grep -nE '#include[[:space:]]*<(ev\.h|sys/socket\.h|sys/un\.h|netinet/[a-z]+\.h|unistd\.h|fcntl\.h|stdio\.h)>' protocol/*.c protocol/*.h)
if [ -n "$bad" ]; then
	echo "protocol/ includes an I/O header:"; echo "$bad"; status=1
fi
bad=$(grep -nE '\b(read|write|send|recv|sendmsg|recvmsg|socket|open|close|printf|fprintf|malloc_trim)[[:space:]]*\(' protocol/*.c | grep -vE '^\S+:[0-9]+:\s*(\*|/\*)')
if [ -n "$bad" ]; then
	echo "protocol/ calls an I/O function:"; echo "$bad"; status=1
fi
# A mutable file-scope variable starts a line with a type and is not const,
# static const, a function or a prototype.
bad=$(grep -nE '^(static[[:space:]]+)?(unsigned |signed )?(int|char|long|short|size_t|uint[0-9]+_t|int[0-9]+_t|struct [a-z_]+)[[:space:]*]+[a-z_][a-z_0-9]*(\[[^]]*\])*[[:space:]]*(=|;)' protocol/*.c)
if [ -n "$bad" ]; then
	echo "protocol/ has a mutable global:"; echo "$bad"; status=1
fi
[ $status -eq 0 ] && echo "protocol/ is pure"
exit $status
