#!/usr/bin/python3
"""SMTP peers of the benchmark world: every MX address of the bench (127.64.0.0/10) on port 25,
served by a few worker processes sharing one wildcard socket (SO_REUSEPORT). The behaviour of a
connection is chosen by the second octet of the address the client connected to (the classes of
bench/world.py); the sessions themselves are tests/world/lib/fakesmtp.py's, used read-only.

Usage: smtpd.py --world DIR [--workers N] [--delay-ms D] [--pidfile F]
Each worker writes its counters (sessions, STARTTLS handshakes) to DIR/log/smtpd-<pid>.json
every second and when it stops.
"""

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "world", "lib"))
import fakesmtp  # noqa: E402  (the test world's server, read-only)

COUNTS = {"sessions": 0, "starttls": 0, "tls_ok": 0}


class BenchSession(fakesmtp.Session):
    """fakesmtp's session, counting STARTTLS handshakes."""

    async def starttls(self):
        COUNTS["starttls"] += 1
        ok = await super().starttls()
        if self.tls:
            COUNTS["tls_ok"] += 1
        return ok


def behaviours(world, delay_ms):
    """{second octet: fakesmtp behaviour} for every class of the world."""
    pki = os.path.join(world, "pki")
    table = {}
    for cls, (first, width) in json.load(open(os.path.join(world, "world.json")))[
            "smtp_classes"].items():
        if cls == "nostarttls":
            entry = {"behaviour": "no-starttls"}
        else:
            entry = {"behaviour": "good", "cert": os.path.join(pki, cls + ".pem"),
                     "key": os.path.join(pki, "leaf.key")}
        entry["hostname"] = "smtp-%s.bench.mxb" % cls
        b = fakesmtp.resolve_behaviour(entry, delay_ms)
        if b["ctx"] is not None:
            # Sessions are short: no tickets to keep, and TLS 1.3 tickets cost a round trip.
            b["ctx"].num_tickets = 0
        for octet in range(first, first + width):
            table[octet] = b
    return table


async def handle(table, reader, writer):
    COUNTS["sessions"] += 1
    try:
        octet = int(writer.get_extra_info("sockname")[0].split(".")[1])
        b = table.get(octet)
        if b is None:
            return
        await BenchSession(b, reader, writer).run()
    except (OSError, EOFError, ssl.SSLError, asyncio.TimeoutError, asyncio.IncompleteReadError,
            ValueError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


def dump(path):
    with open(path + ".tmp", "w") as f:
        json.dump(COUNTS, f)
    os.rename(path + ".tmp", path)


async def serve(table, stats):
    srv = await asyncio.start_server(lambda r, w: handle(table, r, w), host="0.0.0.0", port=25,
                                     limit=fakesmtp.LINE_LIMIT, reuse_address=True,
                                     reuse_port=True, backlog=4096)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        dump(stats)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            pass
    srv.close()
    dump(stats)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--world", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--pidfile")
    args = ap.parse_args()
    table = behaviours(args.world, args.delay_ms)
    kids = []
    for _ in range(max(1, args.workers)):
        pid = os.fork()
        if pid == 0:
            stats = os.path.join(args.world, "log", "smtpd-%d.json" % os.getpid())
            asyncio.run(serve(table, stats))
            os._exit(0)
        kids.append(pid)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())

    def forward(sig, frame):
        for k in kids:
            try:
                os.kill(k, signal.SIGTERM)
            except ProcessLookupError:
                pass
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    print("smtpd: %d workers on *:25 (pid %d)" % (len(kids), os.getpid()), flush=True)
    for k in kids:
        while True:
            try:
                os.waitpid(k, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
