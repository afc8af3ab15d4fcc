#!/usr/bin/python3
"""The world's limit for connections, measured from inside it: as many concurrent sessions as its
servers will serve, for a bounded time and count, each on a new connection as the scanner makes
them.
  --kind starttls: banner, EHLO, STARTTLS, TLS handshake, EHLO, QUIT (the scanner's probe),
                   against the STARTTLS addresses of the world's mail hosts;
  --kind https:    TLS handshake with the policy host's name, GET /.well-known/mta-sts.txt, the
                   whole reply (the scanner's MTA-STS fetch), for the domains with a policy.
Prints one JSON line: {"sessions", "failed", "seconds", "rate", "concurrency"}.

Usage: load.py --kind starttls|https --world DIR [--seconds S] [--concurrency C]
               [--processes P] [--max N]
Runs inside the mxsbench namespace (scripts/bench does that).
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
import time


def smtp_targets(world):
    """(address, SNI host) of every mail host whose server offers STARTTLS."""
    out = []
    for zone in ("mail.mxb", "mail-s.mxb"):
        path = os.path.join(world, "zones", zone + ".zone")
        for line in open(path):
            tok = line.split()
            if len(tok) == 3 and tok[1] == "A":
                octet = int(tok[2].split(".")[1])
                if octet < 104:                     # 104+ = the class without STARTTLS
                    out.append((tok[2], "%s.%s" % (tok[0], zone)))
    return out


def https_targets(world):
    """(address, policy host) of every domain whose zone publishes mta-sts.<domain>."""
    info = json.load(open(os.path.join(world, "world.json")))
    out = []
    zdir = os.path.join(world, "zones")
    for f in sorted(os.listdir(zdir)):
        if not f.endswith(".zone") or f.startswith("mail"):
            continue
        with open(os.path.join(zdir, f)) as z:
            if any(line.startswith("mta-sts A ") for line in z):
                out.append((info["https"], "mta-sts." + f[:-len(".zone")]))
    return out


async def expect(reader, code):
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        if not line.startswith(code):
            raise ConnectionError("unexpected %r" % line[:40])
        if line[3:4] != b"-":
            return


async def starttls_session(addr, host, ctx):
    reader, writer = await asyncio.open_connection(addr, 25)
    try:
        await expect(reader, b"220")
        writer.write(b"EHLO load.bench.mxb\r\n")
        await expect(reader, b"250")
        writer.write(b"STARTTLS\r\n")
        await expect(reader, b"220")
        await writer.start_tls(ctx, server_hostname=host)
        writer.write(b"EHLO load.bench.mxb\r\n")
        await expect(reader, b"250")
        writer.write(b"QUIT\r\n")
        await expect(reader, b"221")
    finally:
        writer.close()


async def https_session(addr, host, ctx):
    reader, writer = await asyncio.open_connection(addr, 443, ssl=ctx, server_hostname=host)
    try:
        writer.write(("GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: %s\r\n"
                      "User-Agent: bench-load\r\nConnection: close\r\n\r\n" % host).encode())
        reply = await reader.read()
        if not reply.startswith(b"HTTP/1.1 200"):
            raise ConnectionError("unexpected %r" % reply[:40])
    finally:
        writer.close()


KINDS = {"starttls": (smtp_targets, starttls_session), "https": (https_targets, https_session)}


async def load(session, tg, seconds, concurrency, max_sessions):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE             # the scanner verifies offline; only cost counts
    done = {"ok": 0, "failed": 0, "i": 0}
    end = time.monotonic() + seconds

    async def worker():
        while time.monotonic() < end and done["ok"] + done["failed"] < max_sessions:
            addr, host = tg[done["i"] % len(tg)]
            done["i"] += 1
            try:
                await asyncio.wait_for(session(addr, host, ctx), 10)
                done["ok"] += 1
            except (OSError, ConnectionError, ssl.SSLError, asyncio.TimeoutError):
                done["failed"] += 1
    t0 = time.monotonic()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return done["ok"], done["failed"], time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=sorted(KINDS), required=True)
    ap.add_argument("--world", required=True)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--max", type=int, default=200000)
    args = ap.parse_args()
    find, session = KINDS[args.kind]
    tg = find(args.world)
    if not tg:
        print(json.dumps({"sessions": 0, "failed": 0, "seconds": 0, "rate": 0,
                          "concurrency": 0}))
        return 1
    procs = max(1, args.processes)
    per = max(1, args.concurrency // procs)
    pipes = []
    for k in range(procs):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            mine = tg[k::procs] or tg
            ok, failed, secs = asyncio.run(load(session, mine, args.seconds, per,
                                                args.max // procs))
            os.write(w, json.dumps([ok, failed, secs]).encode())
            os._exit(0)
        os.close(w)
        pipes.append((pid, r))
    ok = failed = 0
    secs = 0.0
    for pid, r in pipes:
        data = b""
        while True:
            chunk = os.read(r, 4096)
            if not chunk:
                break
            data += chunk
        os.waitpid(pid, 0)
        try:
            o, f, s = json.loads(data)
        except ValueError:
            continue
        ok, failed, secs = ok + o, failed + f, max(secs, s)
    print(json.dumps({"sessions": ok, "failed": failed, "seconds": round(secs, 2),
                      "rate": round(ok / secs, 1) if secs else 0,
                      "concurrency": per * procs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
