#!/usr/bin/python3
"""Hostile authoritative DNS servers for the offline test world. Standard library only.

One asyncio process serves every address of its JSON configuration (written by world.py from
world.yaml); the TLD delegates scenario zones to them with glue. Behaviour:

  tc-forever   every UDP query is answered with an empty reply with TC (truncated) set, so a
               resolver must retry over TCP; over TCP, per the entry's `tcp` knob:
                 refuse  nothing listens on TCP: the connection is refused (RST)
                 silent  the connection is accepted and the query read, but never answered
                         (held until the client goes, at most HOLD_SECONDS)

A query that is not even a DNS header is dropped. Every query is logged (name, type, transport).
"""

import argparse
import asyncio
import json
import os
import signal
import struct
import sys
import time

BEHAVIOURS = {"tc-forever"}
TCP_KNOBS = {"refuse", "silent"}
HOLD_SECONDS = 120


def log(msg):
    print("fakedns: %s %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def question(msg):
    """(end offset of the first question, its name, its type) or None when malformed."""
    if len(msg) < 12 or struct.unpack(">H", msg[4:6])[0] < 1:
        return None
    i, labels = 12, []
    while i < len(msg):
        n = msg[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0 or i + 1 + n > len(msg):
            return None
        labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 4 > len(msg):
        return None
    return i + 4, ".".join(labels) + ".", struct.unpack(">H", msg[i:i + 2])[0]


def truncated_reply(msg):
    """An empty answer to msg with QR, AA and TC set (opcode and RD copied), or None."""
    q = question(msg)
    if q is None:
        return None
    end, name, qtype = q
    flags = struct.unpack(">H", msg[2:4])[0]
    flags = 0x8000 | (flags & 0x7800) | 0x0400 | 0x0200 | (flags & 0x0100)   # QR AA TC, RD
    return msg[0:2] + struct.pack(">HHHHH", flags, 1, 0, 0, 0) + msg[12:end], name, qtype


class TruncatingUdp(asyncio.DatagramProtocol):
    def __init__(self, addr):
        self.addr = addr
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, peer):
        r = truncated_reply(data)
        if r is None:
            return
        reply, name, qtype = r
        log("%s udp %s type %d: TC" % (self.addr, name, qtype))
        self.transport.sendto(reply, peer)


async def tcp_silent(addr, reader, writer):
    try:
        head = await asyncio.wait_for(reader.readexactly(2), HOLD_SECONDS)
        msg = await asyncio.wait_for(reader.readexactly(struct.unpack(">H", head)[0]),
                                     HOLD_SECONDS)
        q = question(msg)
        log("%s tcp %s: read, never answered" % (addr, q[1] if q else "(malformed)"))
        await asyncio.wait_for(reader.read(), HOLD_SECONDS)
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


def check(entry):
    if entry.get("behaviour") not in BEHAVIOURS:
        raise ValueError("%s: unknown behaviour %r" % (entry.get("addr"), entry.get("behaviour")))
    if entry.get("tcp") not in TCP_KNOBS:
        raise ValueError("%s: tcp must be one of %s" % (entry.get("addr"), sorted(TCP_KNOBS)))


async def serve(conf, args):
    loop = asyncio.get_running_loop()
    sockets = []
    for entry in conf["listen"]:
        check(entry)
        addr = entry["addr"]
        transport, _ = await loop.create_datagram_endpoint(lambda a=addr: TruncatingUdp(a),
                                                           local_addr=(addr, 53))
        sockets.append(transport)
        if entry["tcp"] == "silent":
            sockets.append(await asyncio.start_server(
                lambda r, w, a=addr: tcp_silent(a, r, w), host=addr, port=53,
                reuse_address=True))
    log("listening on %d sockets (pid %d)" % (len(sockets), os.getpid()))
    if args.pidfile:
        with open(args.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.pidfile + ".tmp", args.pidfile)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in sockets:
        s.close()
    log("stopped")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True,
                    help="JSON: {listen: [{addr, behaviour, tcp}]}")
    ap.add_argument("--pidfile", help="written once every socket listens")
    ap.add_argument("--check", action="store_true", help="validate the configuration and exit")
    args = ap.parse_args()
    with open(args.config) as f:
        conf = json.load(f)
    try:
        for entry in conf["listen"]:
            check(entry)
        if args.check:
            print("fakedns: configuration ok, %d addresses" % len(conf["listen"]))
            return 0
        asyncio.run(serve(conf, args))
    except (OSError, ValueError) as e:
        print("fakedns: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
