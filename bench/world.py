#!/usr/bin/python3
"""Generates the benchmark scale world (bench/README.md): N synthetic mail domains under the
made-up TLD `mxb.`, their zones (a DNSSEC-signed share signed with ldns-signzone, one cached
ECDSA P-256 key), a root and TLD zone that delegate to them, a bench PKI, and the
configurations of NSD, unbound, the SMTP peers, nginx and the scanner.

Usage: world.py gen --domains N --mix realistic|worst --out DIR [--seed S] [--leaves L]
Deterministic for a given (N, mix, seed): a world already in DIR with the same parameters and
signatures valid for another week is reused. Standard library + python3-cryptography.
"""

import argparse
import base64
import datetime
import hashlib
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

FORMAT = 3                     # bump when the generated layout changes (invalidates caches)
TLD = "mxb"                    # the made-up TLD (not test.: getdns' libunbound blackholes it)
TTL = 3600

# Address plan inside the mxsbench namespace (bench/README.md).
ROOT_NS = "127.53.0.1"         # NSD, root zone
TLD_NS = "127.53.0.2"          # NSD, mxb.
LEAF_NS = "127.53.1.%d"        # NSD, domain zones, leaf 1..L
RESOLVER = "127.53.0.53"       # unbound (stub modes)
RESOLVER_PROXY = "127.53.0.54" # the delaying proxy in front of unbound (--delay-at resolver)
HIDDEN = "127.54"              # where NSD really listens when the proxy fronts it (.0.1 ...)
HTTPS_ADDR = "127.70.0.1"      # nginx, MTA-STS sites
# SMTP classes: the second octet of an MX address says how its server behaves (bench/smtpd.py).
SMTP_CLASSES = {               # name: (first second-octet, width)
    "valid": (64, 16),         # STARTTLS, certificate valid for *.mail.mxb and *.mail-s.mxb
    "selfsigned": (80, 8),     # STARTTLS, self-signed certificate
    "expired": (88, 8),        # STARTTLS, certificate expired 30 days ago
    "wrongname": (96, 8),      # STARTTLS, certificate for another name
    "nostarttls": (104, 8),    # STARTTLS not offered
}
DKIM_SELECTORS = ["default", "selector1", "selector2", "google", "k1", "s1", "mail"]

# Adoption rates. realistic: the JRC 2018 MECSA results the issue quotes.
MIXES = {
    "realistic": {"dnssec": 0.10, "dane": 0.09, "starttls": 0.87, "valid": 0.70, "spf": 0.63,
                  "dkim": 0.44, "dmarc": 0.23, "mta_sts": 0.02, "tlsrpt": 0.02, "own": 0.15},
    "worst": {"dnssec": 1.0, "dane": 1.0, "starttls": 1.0, "valid": 1.0, "spf": 1.0,
              "dkim": 1.0, "dmarc": 1.0, "mta_sts": 1.0, "tlsrpt": 1.0, "own": 0.15},
}


class GenError(Exception):
    pass


def log(msg):
    print("bench-world: " + msg, flush=True)


def run(args, cwd=None, input=None):
    p = subprocess.run(args, cwd=cwd, input=input, capture_output=True, text=True)
    if p.returncode != 0:
        raise GenError("%s failed (exit %d): %s" % (" ".join(args[:3]), p.returncode,
                                                    (p.stderr or p.stdout).strip()[:500]))
    return p.stdout


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def addr(cls, idx):
    """The idx-th (from 0) SMTP address of a class."""
    base, width = SMTP_CLASSES[cls]
    idx += 1                   # skip x.x.0.0
    hi = idx >> 16
    if hi >= width:
        raise GenError("too many %s addresses" % cls)
    return "127.%d.%d.%d" % (base + hi, (idx >> 8) & 255, idx & 255)


def zipf_cum_weights(n, s=1.1):
    """Cumulative Zipf weights: random.choices() given plain weights sums them on every call,
    which made the model quadratic in N (hours at 1M domains)."""
    return list(itertools.accumulate(1.0 / (k ** s) for k in range(1, n + 1)))


# ------------------------------------------------------------------------------ keys and PKI

def dnskey(keydir):
    """The cached zone key: (private key base path, DNSKEY rdata text)."""
    os.makedirs(keydir, exist_ok=True)
    base = os.path.join(keydir, "Kbench")
    if not os.path.exists(base + ".private"):
        made = run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", "bench."], cwd=keydir).strip()
        os.rename(os.path.join(keydir, made + ".private"), base + ".private")
        os.rename(os.path.join(keydir, made + ".key"), base + ".key")
        os.unlink(os.path.join(keydir, made + ".ds"))
    tok = open(base + ".key").read().split(";")[0].split()
    i = tok.index("DNSKEY")
    return base, " ".join(tok[i + 1:])


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.lower().encode()
    return out + b"\0"


def ds_record(zone, rdata):
    """DS (SHA-256) of the DNSKEY rdata text at zone (RFC 4034 §5.1.4)."""
    flags, proto, alg, key = rdata.split(None, 3)
    raw = (int(flags).to_bytes(2, "big") + bytes([int(proto), int(alg)]) +
           base64.b64decode("".join(key.split())))
    ac = 0                     # key tag, RFC 4034 appendix B
    for i, b in enumerate(raw):
        ac += b if i & 1 else b << 8
    tag = (ac + (ac >> 16)) & 0xFFFF
    digest = hashlib.sha256(wire_name(zone) + raw).hexdigest()
    return "%s. %d IN DS %d %s 2 %s" % (zone.rstrip("."), TTL, tag, alg, digest)


def pki(d, mta_sts_names):
    """Bench CA, one shared leaf key, the SMTP certificates and one MTA-STS certificate per
    domain that publishes a policy. Returns the SPKI SHA-256 of the leaf key (TLSA 3 1 1)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    os.makedirs(os.path.join(d, "sts"), exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    pem = serialization.Encoding.PEM

    def key_at(path):
        if os.path.exists(path):
            return serialization.load_pem_private_key(open(path, "rb").read(), None)
        k = ec.generate_private_key(ec.SECP256R1())
        with open(path, "wb") as f:
            f.write(k.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
        return k

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subject, key, issuer, issuer_key, ca, sans=(), nb=-1, na=365):
        b = (x509.CertificateBuilder().subject_name(name(subject))
             .issuer_name(name(issuer)).public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now + datetime.timedelta(days=nb))
             .not_valid_after(now + datetime.timedelta(days=na))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                              False, False), critical=True)
        else:
            b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                              False, False), critical=True)
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                critical=False)
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(s) for s in sans]), critical=False)
        return b.sign(issuer_key, hashes.SHA256())

    ca_key = key_at(os.path.join(d, "ca.key"))
    leaf_key = key_at(os.path.join(d, "leaf.key"))
    ca_path = os.path.join(d, "ca.pem")
    if not os.path.exists(ca_path):
        ca = cert("MXS Bench Root CA", ca_key, "MXS Bench Root CA", ca_key, True, na=3650)
        open(ca_path, "wb").write(ca.public_bytes(pem))
    ca = x509.load_pem_x509_certificate(open(ca_path, "rb").read())
    ca_name = ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    mx = ["*.mail.%s" % TLD, "*.mail-s.%s" % TLD]
    other_key = key_at(os.path.join(d, "other.key"))
    certs = {
        "valid": cert(mx[0], leaf_key, ca_name, ca_key, False, mx),
        "expired": cert(mx[0], leaf_key, ca_name, ca_key, False, mx, nb=-400, na=-30),
        "wrongname": cert("mx.elsewhere.example", leaf_key, ca_name, ca_key, False,
                          ["mx.elsewhere.example"]),
        # Self-signed: issued by itself (its own name), not by the bench CA.
        "selfsigned": cert(mx[0], leaf_key, mx[0], other_key, False, mx),
    }
    for k, c in certs.items():
        chain = c.public_bytes(pem) + (ca.public_bytes(pem) if k != "selfsigned" else b"")
        open(os.path.join(d, k + ".pem"), "wb").write(chain)
    for host in mta_sts_names:
        c = cert(host, leaf_key, ca_name, ca_key, False, [host])
        open(os.path.join(d, "sts", host + ".pem"), "wb").write(c.public_bytes(pem) +
                                                              ca.public_bytes(pem))
    spki = leaf_key.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


# ------------------------------------------------------------------------------ the model

class Operator:
    """A mail hosting operator: its MX host names and addresses."""

    def __init__(self, cls, idx, zone, n_hosts, first_addr):
        self.hosts = [("mx%d-%s%d.%s" % (h + 1, cls[:2], idx, zone), addr(cls, first_addr + h))
                      for h in range(n_hosts)]


def model(n, mix, seed):
    """Decide every domain's records. Returns (domains, mail host records, expected counts)."""
    rates = MIXES[mix]
    rnd = random.Random(seed)
    classes = ["valid", "selfsigned", "expired", "wrongname", "nostarttls"]
    next_addr = {c: 0 for c in classes}
    # Operator pools, per class and per DNSSEC-ness of their host zone (DANE needs mail-s).
    pools = {}
    for cls in classes:
        for signed in (False, True):
            m = max(4, n // 50) if not signed else max(2, n // 500)
            ops = []
            for i in range(m):
                nh = 2 if i < 20 else 1
                zone = "mail-s.%s" % TLD if signed else "mail.%s" % TLD
                ops.append(Operator(cls, i + (100000 if signed else 0), zone, nh,
                                    next_addr[cls]))
                next_addr[cls] += nh
            pools[(cls, signed)] = (ops, zipf_cum_weights(m))
    # Class shares: DANE domains are always valid; the rest is drawn to hit the overall rates.
    dane = rates["dane"]
    rest = 1.0 - dane
    p_valid = max(0.0, rates["valid"] - dane) / rest if rest > 0 else 1.0
    p_tls = max(0.0, rates["starttls"] - dane) / rest if rest > 0 else 1.0
    p_bad = max(0.0, p_tls - p_valid)
    mail_hosts = {False: [], True: []}     # zone signed? -> [(host, addr, tlsa)]
    for (cls, signed), (ops, _) in pools.items():
        for op in ops:
            for host, a in op.hosts:
                mail_hosts[signed].append((host, a))
    domains = []
    width = max(7, len(str(n)))
    count = {k: 0 for k in ("dnssec", "dane", "starttls", "valid", "spf", "dkim", "dmarc",
                            "mta_sts", "tlsrpt", "own")}
    for i in range(n):
        d = {"name": "d%0*d.%s" % (width, i, TLD)}
        d["signed"] = rnd.random() < rates["dnssec"]
        d["dane"] = d["signed"] and rnd.random() < (dane / rates["dnssec"] if rates["dnssec"]
                                                    else 0)
        if d["dane"]:
            cls = "valid"
        else:
            r = rnd.random()
            if r < p_valid:
                cls = "valid"
            elif r < p_valid + p_bad:
                cls = rnd.choice(["selfsigned", "expired", "wrongname"])
            else:
                cls = "nostarttls"
        own = rnd.random() < rates["own"]
        if own:
            signed_host = d["dane"]
            host = "mx-%s.%s" % (d["name"].split(".")[0], "mail-s.%s" % TLD if signed_host
                                 else "mail.%s" % TLD)
            a = addr(cls, next_addr[cls])
            next_addr[cls] += 1
            mail_hosts[signed_host].append((host, a))
            d["mx"] = [(10, host)]
        else:
            ops, w = pools[(cls, d["dane"])]
            op = rnd.choices(ops, cum_weights=w)[0]
            d["mx"] = [(10 * (k + 1), h) for k, (h, _) in enumerate(op.hosts)]
        d["own"] = own
        d["cls"] = cls
        d["spf"] = rnd.random() < rates["spf"]
        d["spf_text"] = ("v=spf1 mx -all" if own else "v=spf1 include:spf.mail.%s %s" % (
            TLD, rnd.choice(["-all", "~all", "-all"])))
        d["dkim"] = rnd.choice(DKIM_SELECTORS) if rnd.random() < rates["dkim"] else None
        d["dmarc"] = (rnd.choice(["none", "quarantine", "reject"]) if rnd.random() <
                      rates["dmarc"] else None)
        d["mta_sts"] = rnd.random() < rates["mta_sts"]
        d["tlsrpt"] = rnd.random() < rates["tlsrpt"]
        for k in ("dnssec", "dane", "spf", "dkim", "dmarc", "mta_sts", "tlsrpt", "own"):
            v = d.get(k if k != "dnssec" else "signed")
            count[k] += 1 if v else 0
        count["starttls"] += cls != "nostarttls"
        count["valid"] += cls == "valid"
        domains.append(d)
    return domains, mail_hosts, count


# ------------------------------------------------------------------------------ zones

def dkim_key(cache):
    """Base64 of a 2048-bit RSA public key (SubjectPublicKeyInfo), generated once and cached:
    the scanner parses and sizes DKIM keys, so the record must hold a real one."""
    path = os.path.join(cache, "dkim.pub")
    if not os.path.exists(path):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        der = k.public_bytes(serialization.Encoding.DER,
                             serialization.PublicFormat.SubjectPublicKeyInfo)
        os.makedirs(cache, exist_ok=True)
        write(path, base64.b64encode(der).decode() + "\n")
    return open(path).read().strip()


def txt(s):
    """A TXT rdata: strings of at most 255 characters."""
    return " ".join('"%s"' % s[i:i + 255] for i in range(0, len(s), 255))


def soa(ns, serial):
    return "@ SOA %s. hostmaster.nic.%s. %d 3600 600 86400 300" % (ns, TLD, serial)


def domain_zone(d, ns, serial, key_rdata, dkim):
    name = d["name"]
    lines = ["$ORIGIN %s." % name, "$TTL %d" % TTL, soa(ns, serial), "@ NS %s." % ns]
    if d["signed"]:
        lines.append("@ DNSKEY %s" % key_rdata)
    lines += ["@ MX %d %s." % (p, h) for p, h in d["mx"]]
    lines.append("@ A 127.100.0.1")
    if d["spf"]:
        lines.append("@ TXT %s" % txt(d["spf_text"]))
    lines.append('@ TXT "site-verification=%s"' % hashlib.md5(name.encode()).hexdigest())
    if d["dkim"]:
        lines.append("%s._domainkey TXT %s" % (d["dkim"], txt("v=DKIM1; k=rsa; p=" + dkim)))
    if d["dmarc"]:
        lines.append("_dmarc TXT %s" % txt("v=DMARC1; p=%s; rua=mailto:dmarc@%s"
                                           % (d["dmarc"], name)))
    if d["mta_sts"]:
        lines.append('_mta-sts TXT "v=STSv1; id=20260101T000000"')
        lines.append("mta-sts A %s" % HTTPS_ADDR)
    if d["tlsrpt"]:
        lines.append('_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@%s"' % name)
    return "\n".join(lines) + "\n"


def sign(path, origin, keybase, expire):
    run(["ldns-signzone", "-o", origin + ".", "-e", expire, "-f", path + ".signed", path,
         keybase])


def gen(args):
    out = os.path.abspath(args.out)
    stamp = {"format": FORMAT, "domains": args.domains, "mix": args.mix, "seed": args.seed,
             "leaves": args.leaves}
    summary_path = os.path.join(out, "world.json")
    if os.path.exists(summary_path):
        try:
            old = json.load(open(summary_path))
            if ({k: old.get(k) for k in stamp} == stamp and
                    old.get("expires", 0) > time.time() + 7 * 86400):
                log("reusing %s (%d domains, %s)" % (out, args.domains, args.mix))
                return 0
        except (OSError, ValueError):
            pass
    t0 = time.time()
    cache = os.path.join(os.path.dirname(out), "cache")
    keybase, key_rdata = dnskey(os.path.join(cache, "keys"))
    dkim = dkim_key(cache)
    if os.path.isdir(out):
        shutil.rmtree(out)
    zdir = os.path.join(out, "zones")
    os.makedirs(zdir)
    for sub in ("log", "pids", "nsd", "www/.well-known"):
        os.makedirs(os.path.join(out, sub))
    domains, mail_hosts, count = model(args.domains, args.mix, args.seed)
    log("model: %d domains, %d mail hosts (%.1f s)" % (
        len(domains), len(mail_hosts[False]) + len(mail_hosts[True]), time.time() - t0))
    sts_hosts = ["mta-sts." + d["name"] for d in domains if d["mta_sts"]]
    spki = pki(os.path.join(out, "pki"), sts_hosts)
    log("pki: bench CA, 4 SMTP certificates, %d MTA-STS certificates (%.1f s)"
        % (len(sts_hosts), time.time() - t0))
    serial = int(time.time())
    expire_t = time.time() + 30 * 86400
    expire = time.strftime("%Y%m%d%H%M%S", time.gmtime(expire_t))
    leaves = ["ns%d.nic.%s" % (k + 1, TLD) for k in range(args.leaves)]
    # Zone files: one per domain; the signed share is signed in a pool of ldns-signzone runs.
    to_sign = []
    leaf_zones = [[] for _ in leaves]
    tld_lines = []
    for i, d in enumerate(domains):
        k = i % len(leaves)
        path = os.path.join(zdir, d["name"] + ".zone")
        write(path, domain_zone(d, leaves[k], serial, key_rdata, dkim))
        tld_lines.append("%s. NS %s." % (d["name"], leaves[k]))
        if d["signed"]:
            to_sign.append((path, d["name"]))
            tld_lines.append(ds_record(d["name"], key_rdata))
            leaf_zones[k].append((d["name"], path + ".signed"))
        else:
            leaf_zones[k].append((d["name"], path))
    # The mail host zones: mail.mxb (unsigned), mail-s.mxb (signed, TLSA 3 1 1 per host).
    for zname, signed in (("mail." + TLD, False), ("mail-s." + TLD, True)):
        lines = ["$ORIGIN %s." % zname, "$TTL %d" % TTL, soa(leaves[0], serial),
                 "@ NS %s." % leaves[0]]
        if signed:
            lines.append("@ DNSKEY %s" % key_rdata)
        lines.append("spf TXT %s" % txt("v=spf1 ip4:127.64.0.0/10 ip4:127.128.0.0/12 -all"))
        for host, a in mail_hosts[signed]:
            rel = host[:-len(zname) - 1]
            lines.append("%s A %s" % (rel, a))
            if signed:
                lines.append("_25._tcp.%s TLSA 3 1 1 %s" % (rel, spki))
        path = os.path.join(zdir, zname + ".zone")
        write(path, "\n".join(lines) + "\n")
        tld_lines.append("%s. NS %s." % (zname, leaves[0]))
        if signed:
            to_sign.append((path, zname))
            tld_lines.append(ds_record(zname, key_rdata))
            leaf_zones[0].append((zname, path + ".signed"))
        else:
            leaf_zones[0].append((zname, path))
    log("zones written: %d (%.1f s); signing %d" % (len(domains) + 2, time.time() - t0,
                                                    len(to_sign)))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for f in [ex.submit(sign, p, o, keybase, expire) for p, o in to_sign]:
            f.result()
    log("signed %d zones (%.1f s)" % (len(to_sign), time.time() - t0))
    # TLD and root.
    tld = ["$ORIGIN %s." % TLD, "$TTL %d" % TTL, soa("a.nic." + TLD, serial),
           "@ NS a.nic.%s." % TLD, "@ DNSKEY %s" % key_rdata, "a.nic A %s" % TLD_NS]
    for k, ns in enumerate(leaves):
        tld.append("%s. A %s" % (ns, LEAF_NS % (k + 1)))
    path = os.path.join(zdir, TLD + ".zone")
    write(path, "\n".join(tld + tld_lines) + "\n")
    sign(path, TLD, keybase, expire)
    root = ["$ORIGIN .", "$TTL %d" % TTL, soa("a.root-servers.%s" % TLD, serial),
            "@ NS a.root-servers.%s." % TLD, "@ DNSKEY %s" % key_rdata,
            "%s. NS a.nic.%s." % (TLD, TLD), ds_record(TLD, key_rdata),
            "a.root-servers.%s. A %s" % (TLD, ROOT_NS), "a.nic.%s. A %s" % (TLD, TLD_NS)]
    rpath = os.path.join(zdir, "root.zone")
    write(rpath, "\n".join(root) + "\n")
    sign(rpath, "", keybase, expire)
    log("signed the TLD (%d delegations) and the root (%.1f s)" % (len(domains) + 2,
                                                                    time.time() - t0))
    write(os.path.join(out, "root.key"), ds_record(".", key_rdata) + "\n")
    write(os.path.join(out, "root.hints"), ".\t3600000\tNS\ta.root-servers.%s.\n"
          "a.root-servers.%s.\t3600000\tA\t%s\n" % (TLD, TLD, ROOT_NS))
    write(os.path.join(out, "domains.txt"), "".join(d["name"] + "\n" for d in domains))
    write(os.path.join(out, "www/.well-known/mta-sts.txt"),
          "version: STSv1\nmode: enforce\nmx: *.mail.%s\nmx: *.mail-s.%s\nmax_age: 86400\n"
          % (TLD, TLD))
    # NSD: the root, the TLD, and L leaf servers (a pattern keeps the zone list short).
    nsd = {"root": (ROOT_NS, [(".", rpath + ".signed")]),
           "tld": (TLD_NS, [(TLD, path + ".signed")])}
    for k, zl in enumerate(leaf_zones):
        nsd["leaf%d" % (k + 1)] = (LEAF_NS % (k + 1), zl)
    servers = {}
    for role, (listen, zl) in nsd.items():
        d = os.path.join(out, "nsd", role)
        os.makedirs(d)
        text = [NSD_CONF.format(dir=d, out=out, role=role)]
        for zname, zpath in zl:
            text.append('zone:\n    name: "%s"\n    zonefile: "%s"\n' % (zname, zpath))
        write(os.path.join(d, "nsd.conf.in"), "".join(text))
        servers[role] = listen
    summary = dict(stamp)
    summary.update({
        "expires": int(expire_t), "generated": int(time.time()), "tld": TLD,
        "counts": count, "mail_hosts": len(mail_hosts[False]) + len(mail_hosts[True]),
        "smtp_addresses": len({a for hs in mail_hosts.values() for _, a in hs}),
        "nsd": servers, "resolver": RESOLVER, "resolver_proxy": RESOLVER_PROXY,
        "hidden_prefix": HIDDEN, "https": HTTPS_ADDR, "smtp_classes": SMTP_CLASSES,
        "seconds": round(time.time() - t0, 1),
    })
    write(summary_path, json.dumps(summary, indent=1) + "\n")
    log("world of %d domains (%s) in %s in %.1f s" % (args.domains, args.mix, out,
                                                      time.time() - t0))
    return 0


# NSD configuration; `{listen}` is filled in at start (directly, or hidden behind the proxy).
NSD_CONF = """server:
    ip-address: {{listen}}
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "{dir}/zone.list"
    xfrdfile: "{dir}/xfrd.state"
    xfrdir: "{dir}"
    pidfile: "{out}/pids/nsd-{role}.pid"
    logfile: "{out}/log/nsd-{role}.log"
    server-count: 1
    tcp-count: 1000
    verbosity: 0
    hide-version: yes
    round-robin: no
    # Every query comes from one resolver or one scanner: no response rate limiting.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    # Big socket buffers: a scan sends thousands of queries at once.
    receive-buffer-size: 8388608
    send-buffer-size: 8388608
remote-control:
    control-enable: no
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd", choices=["gen"])
    ap.add_argument("--domains", type=int, required=True)
    ap.add_argument("--mix", choices=sorted(MIXES), default="realistic")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--leaves", type=int, default=2)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.domains < 1 or args.domains > 2000000:
        print("bench-world: --domains must be 1..2000000", file=sys.stderr)
        return 2
    try:
        return gen(args)
    except GenError as e:
        print("bench-world: FAILED: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
