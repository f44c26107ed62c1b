#!/usr/bin/env python3
"""Small HTTP/1.1 client for bench/run.sh (standard library only).

  idle_conns.py get HOST PORT PATH
      one GET; prints the status code and the body length, e.g. "200 6".
  idle_conns.py idle HOST PORT PATH N [SECONDS]
      opens N keep-alive connections and sends one GET on each, reading the
      whole response; prints "ready OPEN" once all are open and idle, then
      waits for a line (or EOF) on stdin, or SECONDS (default 120), checks
      how many the server still holds open, prints "alive ALIVE", and closes
      them all.
"""
import select
import socket
import sys


def read_response(s):
    """Reads one response with a Content-Length body; returns (status, len)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the head ended")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the body")
        body += chunk
    return status, len(body)


def request(host, path):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode()


def cmd_get(host, port, path):
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(request(host, path))
        status, length = read_response(s)
    print(status, length)


def cmd_idle(host, port, path, n, secs):
    socks = []
    req = request(host, path)
    try:
        for _ in range(n):
            s = socket.create_connection((host, port), timeout=10)
            socks.append(s)
            s.sendall(req)
            read_response(s)
    except OSError as e:
        print("error after %d connections: %s" % (len(socks), e), flush=True)
    print("ready %d" % len(socks), flush=True)
    select.select([sys.stdin], [], [], secs)
    alive = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                continue
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    print("alive %d" % alive, flush=True)
    for s in socks:
        s.close()


def main(argv):
    if len(argv) == 5 and argv[1] == "get":
        cmd_get(argv[2], int(argv[3]), argv[4])
        return 0
    if len(argv) in (6, 7) and argv[1] == "idle":
        secs = float(argv[6]) if len(argv) == 7 else 120.0
        cmd_idle(argv[2], int(argv[3]), argv[4], int(argv[5]), secs)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError, IndexError) as e:
        print("error", e)
        sys.exit(1)
