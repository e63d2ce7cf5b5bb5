#!/usr/bin/env python3
"""Plain TCP endpoints for the scale tests, on many loopback addresses and one port.

usage: listener.py MODE FIRST-LAST PORT
  MODE   nottls: answers the first bytes it reads with an HTTP 400 and closes (not TLS);
         silent: accepts, reads and discards, never answers (closes after 120 s or on EOF).
  FIRST-LAST  an inclusive IPv4 range, loopback only (127.0.0.0/8).
  PORT   0: one port free on every address (the first gets one from the kernel, the others
         take its number; retried when one of them has it in use).
Prints "listening on PORT" once all sockets listen; stops on SIGTERM/SIGINT.
"""
import asyncio
import ipaddress
import resource
import signal
import socket
import sys

SILENT_LIMIT = 120.0
REPLY = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def addresses(spec):
    first, last = (ipaddress.IPv4Address(a) for a in spec.split("-", 1))
    if first > last or not (first.is_loopback and last.is_loopback):
        raise ValueError("FIRST-LAST must be an increasing range in 127.0.0.0/8")
    return [str(ipaddress.IPv4Address(i)) for i in range(int(first), int(last) + 1)]


def bind_all(addrs, port):
    """Returns the sockets and the port, all listening."""
    for _ in range(32):
        socks = []
        try:
            want = port
            for a in addrs:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((a, want))
                want = s.getsockname()[1]
                s.listen(4096)
                s.setblocking(False)
            return socks, want
        except OSError:
            for s in socks:
                s.close()
            if port != 0:
                raise
    raise OSError("no port free on every address")


async def nottls(reader, writer):
    try:
        await asyncio.wait_for(reader.read(65536), 30)
        writer.write(REPLY)
        await writer.drain()
    except (OSError, asyncio.TimeoutError):
        pass
    writer.close()


async def silent(reader, writer):
    loop = asyncio.get_running_loop()
    end = loop.time() + SILENT_LIMIT
    try:
        while end > loop.time() and await asyncio.wait_for(reader.read(65536), end - loop.time()):
            pass
    except (OSError, asyncio.TimeoutError):
        pass
    writer.close()


async def main():
    mode, spec, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    handler = {"nottls": nottls, "silent": silent}[mode]
    addrs = addresses(spec)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks, port = bind_all(addrs, port)
    servers = [await asyncio.start_server(handler, sock=s, backlog=4096) for s in socks]
    print(f"listening on {port}", flush=True)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    await stop
    for s in servers:
        s.close()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main())
