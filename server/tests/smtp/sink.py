"""A real SMTP server for the integration tests (aiosmtpd on loopback).

Usage: sink.py OUT_DIR PORT [REFUSE_FIRST]
Prints "listening" once it accepts connections on 127.0.0.1:PORT, then stores each message
it accepts as OUT_DIR/<n>.eml. The first REFUSE_FIRST messages are refused
with a temporary failure (451), as a mail server that is down would.
Stops when its standard input closes.
"""

import asyncio
import os
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out_dir, refuse_first):
        self.out_dir = out_dir
        self.refuse_left = refuse_first
        self.stored = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_left > 0:
            self.refuse_left -= 1
            return "451 4.3.0 Try again later"
        self.stored += 1
        path = os.path.join(self.out_dir, f"{self.stored}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.replace(path + ".tmp", path)
        return "250 OK"


def main():
    out_dir = sys.argv[1]
    port = int(sys.argv[2])
    refuse_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    os.makedirs(out_dir, exist_ok=True)
    controller = Controller(Sink(out_dir, refuse_first), hostname="127.0.0.1", port=port)
    controller.start()
    print("listening", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
