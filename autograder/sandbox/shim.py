"""What Jupyter starts as "the kernel": asks the fork server for a kernel and stands in for it.

jupyter_client manages a kernel as a local process (poll, signal, kill). The real kernel is a
child of the fork server inside the sandbox, so this process relays: an interrupt (SIGINT)
becomes a message to the fork server, its own death (SIGKILL from jupyter_client) closes the
socket and the fork server kills the kernel, and it exits with the kernel's exit code.
Standard library only, so it starts in a few tens of milliseconds.
"""

import json
import os
import signal
import socket
import sys


def main() -> int:
    zygote = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    zygote.connect(os.environ["AUTOGRADER_ZYGOTE_SOCKET"])
    zygote.sendall((json.dumps({"argv": sys.argv[1:]}) + "\n").encode())
    replies = zygote.makefile()
    json.loads(replies.readline())  # {"pid": ...}

    def relay(signum, _frame):
        zygote.sendall((json.dumps({"signal": signum}) + "\n").encode())

    signal.signal(signal.SIGINT, relay)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(143))  # closing the socket kills the kernel
    for line in replies:
        message = json.loads(line)
        if "exit" in message:
            return message["exit"] if message["exit"] >= 0 else 128 - message["exit"]
    return 1


if __name__ == "__main__":
    sys.exit(main())
