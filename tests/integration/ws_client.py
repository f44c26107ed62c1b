#!/usr/bin/env python3
"""A real third-party WebSocket client against examples/websocket-echo.

Run by tests/integration/hijack_examples_test.c as
    python3 ws_client.py ws://127.0.0.1:PORT/ws
with Debian's python3-websocket (module `websocket`, websocket-client).
The client checks the handshake itself (Sec-WebSocket-Accept included).
Prints one "ok" line per check; on the first failure prints why and
exits 1.  Exit 3: the module is missing.
"""
import os
import sys
import traceback

try:
    import websocket
    from websocket import ABNF
except ImportError:
    print("python3-websocket is missing: apt-get install python3-websocket")
    sys.exit(3)


def check(what, cond):
    if not cond:
        raise AssertionError(what)
    print("ok:", what, flush=True)


def main(url):
    ws = websocket.create_connection(url, timeout=10)
    check("handshake status 101", ws.getstatus() == 101)

    # A text message with non-ASCII characters, as one frame.
    text = "h\u00e9llo, w\u00f6rld \u2603 \U0001F600"
    ws.send(text)
    check("text echoed", ws.recv() == text)

    # A binary message large enough for the 64-bit length form.
    data = os.urandom(70000)
    ws.send_binary(data)
    op, got = ws.recv_data(control_frame=False)
    check("70000-byte binary echoed",
          op == ABNF.OPCODE_BINARY and got == data)

    # 300 bytes: the 16-bit length form.
    data = bytes(range(256)) + b"x" * 44
    ws.send_binary(data)
    op, got = ws.recv_data()
    check("300-byte binary echoed", op == ABNF.OPCODE_BINARY and got == data)

    # A ping is answered with a pong carrying the same payload.
    ws.ping("are you there")
    op, frame = ws.recv_data_frame(control_frame=True)
    check("pong with the ping's payload",
          op == ABNF.OPCODE_PONG and frame.data == b"are you there")

    # A fragmented text message with a ping between its fragments.
    ws.send_frame(ABNF.create_frame("frag", ABNF.OPCODE_TEXT, fin=0))
    ws.ping("mid")
    ws.send_frame(ABNF.create_frame("mented", ABNF.OPCODE_CONT, fin=1))
    op, frame = ws.recv_data_frame(control_frame=True)
    check("pong between fragments",
          op == ABNF.OPCODE_PONG and frame.data == b"mid")
    check("fragmented message echoed whole", ws.recv() == "fragmented")

    # Closing: the server echoes the status code, then closes.
    ws.send_close(status=4001, reason=b"done")
    op, frame = ws.recv_data_frame(control_frame=True)
    check("close echoed with status 4001",
          op == ABNF.OPCODE_CLOSE and frame.data[:2] == b"\x0f\xa1")
    ws.shutdown()
    print("all checks passed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: ws_client.py ws://HOST:PORT/PATH")
        sys.exit(2)
    try:
        main(sys.argv[1])
    except Exception:
        traceback.print_exc(file=sys.stdout)
        sys.exit(1)
