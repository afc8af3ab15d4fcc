#!/usr/bin/python3
"""Scriptable SMTP server for the offline test world: pathological peers on port 25.

One asyncio process listens on every address of its JSON configuration (written by
world.py from world.yaml); each address has a behaviour, i.e. a set of knobs that
decide what the banner, the EHLO reply, STARTTLS and the TLS handshake look like.
It never accepts mail: MAIL/RCPT/DATA are refused. Standard library only.

Knobs (all optional; a behaviour name is a preset of knobs, see PRESETS):
  banner:     normal | multiline | 421 | 554 | silent | garbage | oversized | close | flaky
              (flaky: 421 to the first connection after quiet_ms of silence on the address,
              a normal banner to the connections that follow it within quiet_ms: a server
              that fails the first time and answers later)
  ehlo:       normal | multiline | fail | oversized
  starttls:   offer | none | hidden        (hidden: not advertised, but accepted)
  tls:        ok | 454 | close | garbage | tls10 | injection
  requiretls: none | pre | post | both     (where REQUIRETLS is advertised)
  delay_ms:   milliseconds to wait before every reply (benchmarks, slow peers)
  quiet_ms:   the silence after which a flaky banner fails again (default 5000)
  hostname:   the name in the banner and the EHLO reply
  cert, key:  PEM files (cert = leaf + chain as sent) for the TLS handshake
  seclevel0:  true: serve at OpenSSL security level 0 (a certificate with a weak key)
"""

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import ssl
import sys
import time

PRESETS = {
    "good": {},
    "bulk": {},
    "no-starttls": {"starttls": "none"},
    "starttls-hidden": {"starttls": "hidden"},
    "starttls-close": {"tls": "close"},
    "starttls-garbage": {"tls": "garbage"},
    "starttls-454": {"tls": "454"},
    "requiretls": {"requiretls": "both"},
    "requiretls-pre": {"requiretls": "pre"},
    "requiretls-post": {"requiretls": "post"},
    "multiline": {"banner": "multiline", "ehlo": "multiline"},
    "421": {"banner": "421"},
    "554": {"banner": "554"},
    "flaky": {"banner": "flaky"},
    "silent": {"banner": "silent"},
    "close": {"banner": "close"},
    "garbage": {"banner": "garbage"},
    "oversized": {"ehlo": "oversized"},
    "ehlo-fail": {"ehlo": "fail"},
    "tls10": {"tls": "tls10"},
    "injection": {"tls": "injection"},
}

DEFAULTS = {
    "banner": "normal",
    "ehlo": "normal",
    "starttls": "offer",
    "tls": "ok",
    "requiretls": "none",
    "delay_ms": 0,
    "quiet_ms": 5000,
    "hostname": "fake.world.mxs",
}

CHOICES = {
    "banner": {"normal", "multiline", "421", "554", "silent", "garbage", "oversized", "close",
               "flaky"},
    "ehlo": {"normal", "multiline", "fail", "oversized"},
    "starttls": {"offer", "none", "hidden"},
    "tls": {"ok", "454", "close", "garbage", "tls10", "injection"},
    "requiretls": {"none", "pre", "post", "both"},
}

IDLE_SECONDS = 300      # a client silent for this long is dropped
LINE_LIMIT = 64 * 1024  # longest command line read from a client
OVERSIZED = 100 * 1024  # length of the deliberately oversized reply line
FLAKY_LAST = {}         # flaky banners: local address -> time of its last connection
GARBAGE = b"\x16\x03\x01\x00\xff\x00\x01\xfe\x80garbage \xc3\x28 not smtp \x00\x00\r\n"


def resolve_behaviour(entry, delay_override):
    """Merge DEFAULTS, the named preset and the entry's own knobs; reject unknown values."""
    name = entry.get("behaviour", "good")
    if name not in PRESETS:
        raise ValueError("unknown behaviour %r" % name)
    b = dict(DEFAULTS)
    b.update(PRESETS[name])
    for k in list(DEFAULTS) + ["cert", "key", "seclevel0"]:
        if k in entry:
            b[k] = entry[k]
    for k, allowed in CHOICES.items():
        if str(b[k]) not in allowed:
            raise ValueError("%s: bad %s %r" % (name, k, b[k]))
        b[k] = str(b[k])
    if delay_override is not None:
        b["delay_ms"] = delay_override
    b["name"] = name
    needs_tls = b["starttls"] != "none" and b["tls"] not in ("454", "close", "garbage")
    if needs_tls and not (b.get("cert") and b.get("key")):
        raise ValueError("%s: TLS behaviour without cert/key" % name)
    b["ctx"] = make_context(b) if needs_tls else None
    return b


def make_context(b):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if b.get("seclevel0"):
        # A certificate with a weak key (RSA 1024) is refused at the default level 2.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if b["tls"] == "tls10":
        # OpenSSL 3 refuses TLS 1.0 above security level 0.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1
    ctx.load_cert_chain(b["cert"], b["key"])
    return ctx


class Session:
    """One client connection; the behaviour decides every reply."""

    def __init__(self, b, reader, writer):
        self.b = b
        self.reader = reader
        self.writer = writer
        self.tls = False

    async def reply(self, data):
        if self.b["delay_ms"]:
            await asyncio.sleep(self.b["delay_ms"] / 1000.0)
        self.writer.write(data)
        await self.writer.drain()

    async def lines(self, *lines):
        """Send an SMTP reply: every line but the last gets a dash after the code."""
        out = []
        for i, (code, text) in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            out.append("%s%s%s\r\n" % (code, sep, text))
        await self.reply("".join(out).encode())

    async def banner(self):
        b, host = self.b, self.b["hostname"]
        kind = b["banner"]
        if kind == "silent":
            await asyncio.sleep(IDLE_SECONDS)
            return False
        if kind == "close":
            return False
        if kind == "421":
            await self.lines(("421", "4.3.2 %s Service not available, closing channel" % host))
            return False
        if kind == "flaky":
            addr = self.writer.get_extra_info("sockname")[0]
            now = time.monotonic()
            last = FLAKY_LAST.get(addr)
            FLAKY_LAST[addr] = now
            if last is None or (now - last) * 1000 > b["quiet_ms"]:
                await self.lines(("421", "4.3.2 %s busy, try again later" % host))
                return False
        if kind == "554":
            await self.lines(("554", "5.3.2 %s No SMTP service here" % host))
            return False
        if kind == "garbage":
            await self.reply(GARBAGE * 4)
            return True
        if kind == "oversized":
            await self.reply(b"220 " + b"x" * OVERSIZED + b"\r\n")
            return True
        if kind == "multiline":
            await self.lines(("220", "%s ESMTP mxsworld fake (%s)" % (host, b["name"])),
                             ("220", "this greeting spans"), ("220", "three lines"))
            return True
        await self.lines(("220", "%s ESMTP mxsworld fake (%s)" % (host, b["name"])))
        return True

    async def ehlo(self, verb):
        b, host = self.b, self.b["hostname"]
        if b["ehlo"] == "fail" and verb == "EHLO":
            await self.lines(("502", "5.5.2 EHLO not implemented, try HELO"))
            return
        if verb == "HELO":
            await self.lines(("250", host))
            return
        ext = ["PIPELINING", "SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES"]
        if b["starttls"] == "offer" and not self.tls:
            ext.append("STARTTLS")
        rt = b["requiretls"]
        if (rt in ("pre", "both") and not self.tls) or (rt in ("post", "both") and self.tls):
            ext.append("REQUIRETLS")
        if b["ehlo"] == "multiline":
            ext += ["HELP topic %d of a deliberately long reply" % i for i in range(1, 21)]
        if b["ehlo"] == "oversized":
            ext.append("X-OVERSIZED " + "y" * OVERSIZED)
        await self.lines(*[("250", host)] + [("250", e) for e in ext])

    async def starttls(self):
        b = self.b
        if self.tls or b["starttls"] == "none":
            await self.lines(("502", "5.5.1 STARTTLS not available"))
            return True
        kind = b["tls"]
        if kind == "454":
            await self.lines(("454", "4.7.0 TLS not available due to temporary reason"))
            return True
        ready = b"220 2.0.0 Ready to start TLS\r\n"
        if kind == "close":
            await self.reply(ready)
            return False
        if kind == "garbage":
            await self.reply(ready + b"this is not a TLS server hello\r\n" + GARBAGE)
            await asyncio.sleep(1)
            return False
        if kind == "injection":
            # Plaintext that arrives after the 220 must never be trusted by a client.
            ready += b"250 2.0.0 injected before the TLS handshake\r\n"
        if b["delay_ms"]:
            await asyncio.sleep(b["delay_ms"] / 1000.0)
        # No await between write() and start_tls(): a client hello must not be read as plaintext.
        self.writer.write(ready)
        await self.writer.start_tls(b["ctx"], ssl_handshake_timeout=30)
        self.tls = True
        return True

    async def run(self):
        if not await self.banner():
            return
        while True:
            line = await asyncio.wait_for(self.reader.readline(), IDLE_SECONDS)
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                await self.ehlo(verb)
            elif verb == "STARTTLS":
                if not await self.starttls():
                    return
            elif verb in ("NOOP", "RSET"):
                await self.lines(("250", "2.0.0 OK"))
            elif verb == "QUIT":
                await self.lines(("221", "2.0.0 Bye"))
                return
            elif verb in ("MAIL", "RCPT", "DATA", "BDAT"):
                await self.lines(("550", "5.7.1 this test server accepts no mail"))
            else:
                await self.lines(("502", "5.5.2 command not recognized"))


async def handle(b, reader, writer):
    try:
        await Session(b, reader, writer).run()
    except (OSError, EOFError, ssl.SSLError, asyncio.TimeoutError, asyncio.IncompleteReadError,
            ValueError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


def addresses(entry):
    """The addresses of one entry: a single `addr` or every address of a `range` CIDR."""
    if "addr" in entry:
        return [str(ipaddress.ip_address(entry["addr"]))]
    net = ipaddress.ip_network(entry["range"], strict=True)
    return [str(a) for a in net]


async def serve(conf, args):
    servers = []
    for entry in conf["listen"]:
        b = resolve_behaviour(entry, args.delay_ms)
        for addr in addresses(entry):
            srv = await asyncio.start_server(lambda r, w, b=b: handle(b, r, w), host=addr,
                                             port=conf.get("port", 25), limit=LINE_LIMIT,
                                             reuse_address=True, backlog=256)
            servers.append(srv)
    print("fakesmtp: listening on %d addresses (pid %d)" % (len(servers), os.getpid()), flush=True)
    if args.pidfile:
        with open(args.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.pidfile + ".tmp", args.pidfile)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()
    print("fakesmtp: stopped at %s" % time.strftime("%H:%M:%S"), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True,
                    help="JSON: {port, listen: [{addr|range, behaviour, knobs...}]}")
    ap.add_argument("--pidfile", help="written once every address listens")
    ap.add_argument("--delay-ms", type=int, help="override delay_ms for every address")
    ap.add_argument("--check", action="store_true", help="validate the configuration and exit")
    args = ap.parse_args()
    with open(args.config) as f:
        conf = json.load(f)
    if args.check:
        n = 0
        for entry in conf["listen"]:
            resolve_behaviour(entry, args.delay_ms)
            n += len(addresses(entry))
        print("fakesmtp: configuration ok, %d addresses" % n)
        return 0
    try:
        asyncio.run(serve(conf, args))
    except OSError as e:
        print("fakesmtp: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
