#!/usr/bin/python3
"""Hostile HTTP(S) peers for the offline test world: MTA-STS policy hosts, CRL servers and OCSP
responders built to break clients. Standard library only.

One asyncio process listens on every (address, port) of its JSON configuration (written by
world.py from world.yaml); each has a behaviour. TLS listeners (`cert`, `key` given) complete
the handshake with the world's PKI (ALPN http/1.1) before they misbehave. Every request line is
logged with whether it asked for a compressed answer (Accept-Encoding), so that the world's log
shows what the scanner sends.

Behaviours:
  silent         read the request, never answer (the connection is held open)
  mute           accept TCP, never start TLS or send a byte (plain listener on a TLS port)
  trickle        200 text/plain, Content-Length, then the body one byte every `interval` s
  endless        200 text/plain without a length, then policy-like lines forever, at full speed
  huge-headers   a status line, then header lines forever (8 KiB each), no body ever
  gzip-bomb      200 text/plain, Content-Encoding: gzip, whatever was asked: a gzip stream of
                 BOMB_BYTES zero bytes (about 1/1000 of that on the wire)
  redirect-loop  301 to the very URL asked for, forever
  huge-crl       200 application/pkix-crl: a DER CertificateList declaring CRL_BYTES, generated
                 while it is sent (nothing is stored), no Content-Length, ended by the close
  ocsp-garbage   200 application/ocsp-response with bytes that are not an OCSP response
  ocsp-file      200 application/ocsp-response with the DER of `file` (whatever was asked)
"""

import argparse
import asyncio
import gzip
import json
import os
import signal
import ssl
import struct
import sys
import time

BEHAVIOURS = {"silent", "mute", "trickle", "endless", "huge-headers", "gzip-bomb",
              "redirect-loop", "huge-crl", "ocsp-garbage", "ocsp-file"}
HEAD_LIMIT = 16 * 1024          # longest request head read
HOLD_SECONDS = 120              # silent peers drop a connection after this long
BOMB_BYTES = 48 * 1024 * 1024   # what the gzip bomb inflates to: beyond any body cap, while
                                # its ~48 KiB on the wire stay under the 64 KiB policy cap
CRL_BYTES = 300 * 1000 * 1000   # size the huge CRL declares and sends if read to the end
POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.mxs\r\nmax_age: 86400\r\n"
GARBAGE = b"\x30\x82\x01\x00\x0a\x01\x00\xa0 this is not an OCSP response \xff\xfe\x00" * 8


def log(msg):
    print("fakehttp: %s %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ---------------------------------------------------------------------------- DER, lazily

def der_head(tag, length):
    """Tag and length octets of a DER element whose content is `length` bytes."""
    if length < 0x80:
        return bytes([tag, length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(body)]) + body


def der(tag, content):
    return der_head(tag, len(content)) + content


CRL_ENTRY_LEN = 27              # SEQUENCE { INTEGER (8 bytes), UTCTime }


def crl_entry(i):
    serial = der(0x02, b"\x01" + struct.pack(">Q", i)[1:])
    return der(0x30, serial + der(0x17, b"260101000000Z"))


def huge_crl_chunks(total, chunk=64 * 1024):
    """A syntactically plausible v2 CRL of about `total` bytes, as a stream of chunks: the
    lengths up front, the revoked entries made as they are sent, a signature of zeros last."""
    sigalg = der(0x30, der(0x06, bytes.fromhex("2a8648ce3d040302")))   # ecdsa-with-SHA256
    issuer = der(0x30, der(0x31, der(0x30, der(0x06, b"\x55\x04\x03") +
                                     der(0x0c, b"MXS World Intermediate CA"))))
    fixed = (der(0x02, b"\x01") + sigalg + issuer + der(0x17, b"260101000000Z") +
             der(0x17, b"361231000000Z"))
    signature = der(0x03, b"\x00" + bytes(72))
    n = max(1, (total - len(fixed) - len(sigalg) - len(signature) - 32) // CRL_ENTRY_LEN)
    revoked_len = n * CRL_ENTRY_LEN
    tbs_len = len(fixed) + len(der_head(0x30, revoked_len)) + revoked_len
    outer_len = len(der_head(0x30, tbs_len)) + tbs_len + len(sigalg) + len(signature)
    yield (der_head(0x30, outer_len) + der_head(0x30, tbs_len) + fixed +
           der_head(0x30, revoked_len))
    per = chunk // CRL_ENTRY_LEN
    for first in range(0, n, per):
        yield b"".join(crl_entry(i) for i in range(first, min(n, first + per)))
    yield sigalg + signature


# ---------------------------------------------------------------------------- behaviours

def response_head(status, headers):
    text = "HTTP/1.1 %s\r\n" % status + "".join("%s: %s\r\n" % kv for kv in headers) + "\r\n"
    return text.encode()


async def hold(reader):
    """Keep the connection open, reading and ignoring, until the client goes or time is up."""
    try:
        await asyncio.wait_for(drain_forever(reader), HOLD_SECONDS)
    except asyncio.TimeoutError:
        pass


async def drain_forever(reader):
    while await reader.read(4096):
        pass


class Gone(Exception):
    """The client closed or reset the connection."""


async def send(writer, watcher, data):
    """Write data and wait until it is on its way; Gone once the client has gone. Streams
    that never end stop here: without the check asyncio would keep writing to a dead socket
    (logging "socket.send() raised exception" each time) and starve every other peer."""
    if watcher.done() or writer.is_closing():
        raise Gone()
    writer.write(data)
    await writer.drain()
    await asyncio.sleep(0)      # let the other connections run


async def watch(reader):
    """Read (and drop) whatever the client sends; ends when the client is gone."""
    try:
        while await reader.read(4096):
            pass
    except (ConnectionError, ssl.SSLError, OSError):
        pass


async def read_head(reader):
    """(method, target, {header: value}) of the request, or None when there is none."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
            ConnectionError, ssl.SSLError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    if len(parts) < 2:
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], headers


async def behave(b, reader, writer, tls):
    name = b["behaviour"]
    if name == "mute":
        await hold(reader)
        return
    req = await read_head(reader)
    if req is None:
        return
    method, target, headers = req
    log("%s:%d %s %s %.80s accept-encoding=%s" % (b["addr"], b["port"], name, method, target,
                                                   headers.get("accept-encoding", "(none)")))
    watcher = asyncio.ensure_future(watch(reader))
    try:
        await respond(b, name, target, headers, writer, watcher, tls)
    finally:
        watcher.cancel()


async def respond(b, name, target, headers, writer, watcher, tls):
    if name == "silent":
        try:
            await asyncio.wait_for(asyncio.shield(watcher), HOLD_SECONDS)
        except asyncio.TimeoutError:
            pass
    elif name == "trickle":
        await send(writer, watcher, response_head("200 OK", [("Content-Type", "text/plain"),
                                                             ("Content-Length", len(POLICY))]))
        for i in range(len(POLICY)):
            await send(writer, watcher, POLICY[i:i + 1])
            await asyncio.sleep(b.get("interval", 1.0))
    elif name == "endless":
        await send(writer, watcher, response_head("200 OK", [("Content-Type", "text/plain"),
                                                             ("Connection", "close")]) + POLICY)
        line = b"mx: mx-%08d.endless.mxs\r\n"
        i = 0
        while True:
            await send(writer, watcher, b"".join(line % (i + k) for k in range(1000)))
            i += 1000
    elif name == "huge-headers":
        await send(writer, watcher, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
        i = 0
        while True:
            await send(writer, watcher, b"X-Filler-%d: %s\r\n" % (i, b"h" * 8192))
            i += 1
    elif name == "gzip-bomb":
        bomb = b["bomb"]
        writer.write(response_head("200 OK", [("Content-Type", "text/plain"),
                                              ("Content-Encoding", "gzip"),
                                              ("Content-Length", len(bomb))]) + bomb)
    elif name == "redirect-loop":
        scheme = "https" if tls else "http"
        host = headers.get("host", b["addr"])
        writer.write(response_head("301 Moved Permanently", [
            ("Location", "%s://%s%s" % (scheme, host, target)), ("Content-Length", 0)]))
    elif name == "huge-crl":
        writer.write(response_head("200 OK", [("Content-Type", "application/pkix-crl"),
                                              ("Connection", "close")]))
        sent = 0
        for chunk in huge_crl_chunks(CRL_BYTES):
            await send(writer, watcher, chunk)
            sent += len(chunk)
        log("%s:%d huge-crl: all %d bytes sent" % (b["addr"], b["port"], sent))
    elif name in ("ocsp-garbage", "ocsp-file"):
        body = GARBAGE if name == "ocsp-garbage" else b["body"]
        writer.write(response_head("200 OK", [("Content-Type", "application/ocsp-response"),
                                              ("Content-Length", len(body))]) + body)
    await writer.drain()


async def handle(b, reader, writer):
    try:
        await behave(b, reader, writer, "cert" in b and b["behaviour"] != "mute")
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, Gone):
        pass    # the client gave up: that is what hostile peers are for
    finally:
        writer.close()


def context(b):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(b["cert"], b["key"])
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def prepare(entry):
    """The entry with what its behaviour needs loaded; ValueError when it is not valid."""
    b = dict(entry)
    if b.get("behaviour") not in BEHAVIOURS:
        raise ValueError("%s:%s: unknown behaviour %r" % (b.get("addr"), b.get("port"),
                                                          b.get("behaviour")))
    if not isinstance(b.get("port"), int) or "addr" not in b:
        raise ValueError("every entry needs addr and port: %r" % entry)
    if b["behaviour"] == "ocsp-file":
        with open(b["file"], "rb") as f:
            b["body"] = f.read()
    if b["behaviour"] == "gzip-bomb":
        b["bomb"] = gzip.compress(bytes(BOMB_BYTES), compresslevel=9, mtime=0)
    return b


async def serve(conf, args):
    servers = []
    for entry in conf["listen"]:
        b = prepare(entry)
        tls = context(b) if "cert" in b and b["behaviour"] != "mute" else None
        servers.append(await asyncio.start_server(
            lambda r, w, b=b: handle(b, r, w), host=b["addr"], port=b["port"], ssl=tls,
            limit=HEAD_LIMIT, reuse_address=True, backlog=64))
    log("listening on %d sockets (pid %d)" % (len(servers), os.getpid()))
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
    log("stopped")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True,
                    help="JSON: {listen: [{addr, port, behaviour, cert, key, knobs...}]}")
    ap.add_argument("--pidfile", help="written once every socket listens")
    ap.add_argument("--check", action="store_true", help="validate the configuration and exit")
    args = ap.parse_args()
    with open(args.config) as f:
        conf = json.load(f)
    try:
        if args.check:
            for entry in conf["listen"]:
                if entry.get("behaviour") not in BEHAVIOURS:
                    raise ValueError("unknown behaviour %r" % entry.get("behaviour"))
            print("fakehttp: configuration ok, %d sockets" % len(conf["listen"]))
            return 0
        asyncio.run(serve(conf, args))
    except (OSError, ValueError, ssl.SSLError) as e:
        print("fakehttp: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
