#!/usr/bin/python3
"""Builds, starts and stops the offline test world (tests/world/README.md).

`build` turns world.yaml + scenarios.yaml into tests/world/run/: a PKI (openssl), DNSSEC-signed
zones (ldns), configurations for NSD x3, unbound, postfix, nginx and fakesmtp, and the two
scanner configurations. `up` builds, creates the network namespace and starts every service in
it; `down` stops what `up` started (by pid file) and deletes the namespace.
Runs as root with /usr/bin/python3 (python3-yaml).
"""

import datetime
import fcntl
import hashlib
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import yaml

LIB = os.path.dirname(os.path.abspath(__file__))
WORLD = os.path.dirname(LIB)
RUN = os.path.join(WORLD, "run")
PYTHON = "/usr/bin/python3"

DNSSEC_KINDS = ("signed", "nsec3", "unsigned", "expired", "bad-ds", "no-dnskey")
EXPIRED_WINDOW = ("20240101000000", "20240201000000")    # inception, expiration
SCENARIO_KEYS = {"what", "zone", "dnssec", "records", "mta_sts", "expect", "expect_stub",
                 "expect_recursive", "pending", "pending_stub", "pending_recursive", "fakedns"}
MTA_STS_KEYS = {"policy", "status", "content_type", "redirect", "cert", "addr"}


class WorldError(Exception):
    """A failure that ends `up` with a message instead of a traceback."""


def log(msg):
    print("world: " + msg, flush=True)


def run(args, cwd=None, input=None):
    """Run a command, return its stdout; a failure raises WorldError with its stderr."""
    try:
        p = subprocess.run(args, cwd=cwd, input=input, capture_output=True, text=True)
    except OSError as e:
        raise WorldError("cannot run %s: %s" % (args[0], e))
    if p.returncode != 0:
        raise WorldError("%s failed (exit %d): %s" % (" ".join(args), p.returncode,
                                                      (p.stderr or p.stdout).strip()))
    return p.stdout


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def rel(path):
    return os.path.join(RUN, path)


# ------------------------------------------------------------------------------ model

def load():
    try:
        with open(os.path.join(WORLD, "world.yaml")) as f:
            world = yaml.safe_load(f)
        with open(os.path.join(WORLD, "scenarios.yaml")) as f:
            scenarios = yaml.safe_load(f)["scenarios"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
        raise WorldError("cannot load world.yaml/scenarios.yaml: %s" % e)
    # Two checkouts on one machine can each have a world: MXS_WORLD_NS names this one's namespace.
    world["namespace"] = os.environ.get("MXS_WORLD_NS") or world["namespace"]
    return world, scenarios


def fqdn(name, origin):
    """Absolute name without the trailing dot, lower case."""
    if name == "@":
        return origin
    if name.endswith("."):
        return name[:-1].lower()
    return ("%s.%s" % (name, origin)).lower()


def parse_record(line, origin):
    """(owner, type, rdata) of a one-line zone-file record relative to origin."""
    tok = line.split()
    if len(tok) < 3:
        raise WorldError("record too short: %r" % line)
    i = 1
    while i < len(tok) and (tok[i].isdigit() or tok[i].upper() in ("IN", "CH")):
        i += 1
    if i >= len(tok) - 1:
        raise WorldError("cannot parse record %r" % line)
    return fqdn(tok[0], origin), tok[i].upper(), " ".join(tok[i + 1:])


class Zone:
    """One zone served by the leaf NSD: its records, grouped by $ORIGIN, and its DNSSEC kind."""

    def __init__(self, name, dnssec="signed"):
        self.name = name            # zone apex, no trailing dot
        self.dnssec = dnssec        # one of DNSSEC_KINDS
        self.blocks = []            # [(origin, [record lines])]
        self.ds = []                # DS lines for the parent (empty when unsigned)

    def add(self, origin, lines):
        self.blocks.append((origin, [l.strip() for l in lines if l.strip()
                                     and not l.strip().startswith(";")]))

    def records(self):
        for origin, lines in self.blocks:
            for line in lines:
                yield origin, line


def check_scenarios(scenarios):
    for dom, sc in scenarios.items():
        if not isinstance(sc, dict) or not sc.get("what"):
            raise WorldError("scenario %s: needs a `what:` line" % dom)
        extra = set(sc) - SCENARIO_KEYS
        if extra:
            raise WorldError("scenario %s: unknown keys %s" % (dom, sorted(extra)))
        if sc.get("dnssec", "signed") not in DNSSEC_KINDS:
            raise WorldError("scenario %s: dnssec must be one of %s" % (dom, DNSSEC_KINDS))
        if not dom.endswith(".mxs"):
            raise WorldError("scenario %s: scenario domains live under mxs." % dom)
        if "mta_sts" in sc and set(sc["mta_sts"]) - MTA_STS_KEYS:
            raise WorldError("scenario %s: unknown mta_sts keys" % dom)
        if "fakedns" in sc and set(sc) & {"zone", "dnssec", "records", "mta_sts"}:
            raise WorldError("scenario %s: a fakedns delegation has no zone, records or site"
                             % dom)
        for key in ("expect", "expect_stub", "expect_recursive", "pending", "pending_stub",
                    "pending_recursive"):
            if key in sc and not isinstance(sc[key], dict):
                raise WorldError("scenario %s: %s must be a map" % (dom, key))


def build_zones(world, scenarios):
    """All leaf zones, keyed by name: infrastructure, bulk, then one per scenario."""
    zones = {}
    for name, text in (world.get("zones") or {}).items():
        zones[name] = Zone(name)
        zones[name].add(name, text.splitlines())
    bulk = world.get("bulk")
    if bulk:
        z = zones[bulk["zone"]] = Zone(bulk["zone"])
        lines = []
        for i, addr in enumerate(ipaddress.ip_network(bulk["range"])):
            lines.append("d%04d MX 10 mx-d%04d" % (i, i))
            lines.append("mx-d%04d A %s" % (i, addr))
        z.add(z.name, lines)
    for dom, sc in scenarios.items():
        zone = sc.get("zone", dom)
        if zone == dom and "fakedns" not in sc:
            if dom in zones:
                raise WorldError("zone %s defined twice" % dom)
            zones[dom] = Zone(dom, sc.get("dnssec", "signed"))
    for name in zones:
        parent = next((p for p in zones if name.endswith("." + p)), None)
        if parent:
            # Every zone is delegated from mxs.: a zone inside another would need its
            # delegation (and DS) in that zone instead.
            raise WorldError("zone %s is inside zone %s: use `zone: %s` for it" % (name, parent,
                                                                                 parent))
    https = world["https"]["addr"]
    for dom, sc in scenarios.items():
        zone = sc.get("zone", dom)
        if zone != dom and "dnssec" in sc:
            raise WorldError("scenario %s: dnssec belongs to its zone %s" % (dom, zone))
        if zone == "none" or "fakedns" in sc:
            continue
        if zone not in zones:
            raise WorldError("scenario %s: zone %s is not defined" % (dom, zone))
        if zone != dom and not dom.endswith("." + zone):
            raise WorldError("scenario %s is not inside zone %s" % (dom, zone))
        lines = (sc.get("records") or "").splitlines()
        if "mta_sts" in sc:
            lines.append("mta-sts A %s" % sc["mta_sts"].get("addr", https))
        zones[zone].add(dom, lines)
    return zones


def smtp_endpoints(world):
    """[(address, cert name)] of every SMTP server that does TLS."""
    eps = [(str(ipaddress.ip_address(p["addr"])), p["cert"]) for p in world["postfix"]]
    for f in world["fakesmtp"]:
        if "addr" in f:
            eps.append((str(ipaddress.ip_address(f["addr"])), f.get("cert", "mx-valid")))
    return eps


def names_by_addr(zones):
    """{address: sorted owner names of the A/AAAA records that point at it}."""
    by_addr = {}
    for z in zones.values():
        for origin, line in z.records():
            owner, rtype, rdata = parse_record(line, origin)
            if rtype in ("A", "AAAA"):
                try:
                    addr = str(ipaddress.ip_address(rdata.strip()))
                except ValueError:
                    raise WorldError("zone %s: bad address in %r" % (z.name, line))
                by_addr.setdefault(addr, set()).add(owner)
    return {a: sorted(n) for a, n in by_addr.items()}


def cert_names(world, scenarios, by_addr):
    """The names each certificate with `names: auto` must carry."""
    names = {}
    for addr, cert in smtp_endpoints(world):
        names.setdefault(cert, set()).update(by_addr.get(addr, ()))
    for dom, sc in scenarios.items():
        if "mta_sts" in sc:
            cert = sc["mta_sts"].get("cert", world["https"]["cert"])
            names.setdefault(cert, set()).add("mta-sts." + dom)
    out = {}
    for cert, spec in world["pki"]["certs"].items():
        if spec["names"] == "auto":
            out[cert] = sorted(names.get(cert, ())) or ["unused.%s.mxs" % cert]
        else:
            out[cert] = list(spec["names"])
    return out


# ------------------------------------------------------------------------------ PKI

CA_CNF = """[ca]
default_ca = ca_default
[ca_default]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/issued
serial = $dir/serial
crlnumber = $dir/crlnumber
private_key = $dir/key.pem
certificate = $dir/cert.pem
default_md = sha256
default_days = 365
default_crl_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = {cn}
"""

EXT_CA = """[ext]
basicConstraints = critical, CA:true{pathlen}
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
{aki}{cdp}
"""

EXT_LEAF = """[ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = {san}
{aki}{cdp}{aia}
[req]
distinguished_name = dn
prompt = no
[dn]
CN = {cn}
"""


EXT_OCSP_SIGNER = """[ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
authorityKeyIdentifier = keyid
[req]
distinguished_name = dn
prompt = no
[dn]
CN = MXS World OCSP Responder
"""


def asn1_time(days):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return t.strftime("%Y%m%d%H%M%SZ")


class Pki:
    """openssl CAs (root, intermediate, an untrusted other root) and the leaves of world.yaml."""

    def __init__(self, world):
        self.dir = rel("pki")
        self.spec = world["pki"]
        self.paths = {}             # cert name -> {key, cert, chain}

    def genkey(self, path):
        run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", path])
        os.chmod(path, 0o600)

    def make_ca(self, name, cn, parent=None, cdp=None):
        d = os.path.join(self.dir, name)
        os.makedirs(os.path.join(d, "issued"))
        write(os.path.join(d, "index.txt"), "")
        write(os.path.join(d, "serial"), os.urandom(8).hex().upper() + "\n")
        write(os.path.join(d, "crlnumber"), "1000\n")
        cnf = os.path.join(d, "ca.cnf")
        write(cnf, CA_CNF.format(dir=d, cn=cn))
        key, crt = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
        self.genkey(key)
        ext = os.path.join(d, "ext.cnf")
        if parent is None:
            # openssl 3.0's req has no -extfile: the extensions go in its config.
            write(ext, CA_CNF.format(dir=d, cn=cn) + EXT_CA.format(pathlen="", aki="", cdp=""))
            run(["openssl", "req", "-x509", "-new", "-config", ext, "-key", key, "-out", crt,
                 "-days", "3650", "-sha256", "-extensions", "ext"])
        else:
            write(ext, EXT_CA.format(pathlen=", pathlen:0",
                                     aki="authorityKeyIdentifier = keyid\n",
                                     cdp="crlDistributionPoints = URI:%s\n" % cdp))
            csr = os.path.join(d, "req.pem")
            run(["openssl", "req", "-new", "-config", cnf, "-key", key, "-out", csr])
            self.sign(parent, csr, crt, ext, -1, 3650)
        self.paths[name] = {"key": key, "cert": crt, "chain": crt, "cnf": cnf}

    def sign(self, ca, csr, out, ext, not_before, not_after):
        run(["openssl", "ca", "-batch", "-notext", "-config", self.paths[ca]["cnf"], "-in", csr,
             "-out", out, "-startdate", asn1_time(not_before), "-enddate", asn1_time(not_after),
             "-extfile", ext, "-extensions", "ext"])

    def make_leaf(self, name, spec, names):
        d = os.path.join(self.dir, "certs")
        os.makedirs(d, exist_ok=True)
        key, crt = os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")
        self.genkey(key)
        issuer = spec.get("issuer", "intermediate")
        ca = {"intermediate": "ca-intermediate", "other-root": "ca-other",
              "self": None}.get(issuer, "bad")
        if ca == "bad":
            raise WorldError("cert %s: unknown issuer %s" % (name, issuer))
        ext = os.path.join(d, name + ".cnf")
        crl = spec.get("crl", True)
        if crl is True:
            crl = self.spec["crl_url"]
        cdp = ("crlDistributionPoints = URI:%s\n" % crl
               if ca == "ca-intermediate" and crl else "")
        ocsp = spec.get("ocsp", False)
        if ocsp is True:
            ocsp = self.spec["ocsp_url"]
        aia = "authorityInfoAccess = OCSP;URI:%s\n" % ocsp if ocsp else ""
        if aia and ca != "ca-intermediate":
            raise WorldError("cert %s: only the intermediate has an OCSP responder" % name)
        write(ext, EXT_LEAF.format(san=", ".join("DNS:" + n for n in names), cn=names[0][:64],
                                   aki="" if ca is None else "authorityKeyIdentifier = keyid\n",
                                   cdp=cdp, aia=aia))
        nb, na = spec.get("not_before", -1), spec.get("not_after", self.spec.get("days", 365))
        if ca is None:
            if nb != -1 or "not_after" in spec:
                raise WorldError("cert %s: self-signed certificates take no dates" % name)
            run(["openssl", "req", "-x509", "-new", "-config", ext, "-key", key, "-out", crt,
                 "-days", str(na), "-sha256", "-extensions", "ext"])
        else:
            csr = os.path.join(d, name + ".csr")
            run(["openssl", "req", "-new", "-config", ext, "-key", key, "-out", csr])
            self.sign(ca, csr, crt, ext, nb, na)
        parts = [crt]
        if ca is not None and spec.get("send_chain", True):
            parts.append(self.paths[ca]["cert"])
        chain = os.path.join(d, name + ".chain.pem")
        write(chain, "".join(open(p).read() for p in parts))
        # postfix's smtpd_tls_chain_files: the key, then the certificates as sent.
        write(os.path.join(d, name + ".postfix.pem"), open(key).read() + open(chain).read(),
              0o600)
        if spec.get("revoked"):
            if ca != "ca-intermediate":
                raise WorldError("cert %s: only the intermediate revokes" % name)
            run(["openssl", "ca", "-config", self.paths[ca]["cnf"], "-revoke", crt,
                 "-crl_reason", "keyCompromise"])
        self.paths[name] = {"key": key, "cert": crt, "chain": chain}

    def make_ocsp_signer(self):
        """The intermediate's delegated OCSP responder (id-kp-OCSPSigning), as most CAs run."""
        d = os.path.join(self.dir, "certs")
        os.makedirs(d, exist_ok=True)
        key, crt = os.path.join(d, "ocsp-signer.key"), os.path.join(d, "ocsp-signer.crt")
        self.genkey(key)
        ext = os.path.join(d, "ocsp-signer.cnf")
        write(ext, EXT_OCSP_SIGNER)
        csr = os.path.join(d, "ocsp-signer.csr")
        run(["openssl", "req", "-new", "-config", ext, "-key", key, "-out", csr])
        self.sign("ca-intermediate", csr, crt, ext, -1, self.spec.get("days", 365))
        self.paths["ocsp-signer"] = {"key": key, "cert": crt, "chain": crt}

    def gencrl(self, ca):
        d = os.path.join(self.dir, "crl")
        os.makedirs(d, exist_ok=True)
        pem = os.path.join(self.dir, ca, "crl.pem")
        run(["openssl", "ca", "-gencrl", "-config", self.paths[ca]["cnf"], "-out", pem])
        out = os.path.join(d, ca.replace("ca-", "") + ".crl")
        run(["openssl", "crl", "-in", pem, "-outform", "DER", "-out", out])

    def ocsp_response_about(self, name):
        """A good, signed OCSP response of the intermediate's responder about certificate
        `name` (DER file), for a hostile responder that gives it to whoever asks."""
        d = os.path.join(self.dir, "ocsp")
        os.makedirs(d, exist_ok=True)
        req, resp = os.path.join(d, name + ".req.der"), os.path.join(d, name + ".resp.der")
        if os.path.exists(resp):
            return resp
        ca = self.paths["ca-intermediate"]
        run(["openssl", "ocsp", "-issuer", ca["cert"], "-cert", self.paths[name]["cert"],
             "-no_nonce", "-reqout", req])
        run(["openssl", "ocsp", "-index", os.path.join(self.dir, "ca-intermediate", "index.txt"),
             "-CA", ca["cert"], "-rsigner", self.paths["ocsp-signer"]["cert"],
             "-rkey", self.paths["ocsp-signer"]["key"], "-reqin", req, "-respout", resp,
             "-ndays", "30"])
        return resp

    def build(self, names):
        self.make_ca("ca-root", "MXS World Root CA")
        self.make_ca("ca-intermediate", "MXS World Intermediate CA", parent="ca-root",
                     cdp=self.spec["root_crl_url"])
        self.make_ca("ca-other", "Untrusted Other Root CA")
        self.make_ocsp_signer()
        for name, spec in self.spec["certs"].items():
            self.make_leaf(name, spec, names[name])
        self.gencrl("ca-root")
        self.gencrl("ca-intermediate")
        shutil.copy(self.paths["ca-root"]["cert"], os.path.join(self.dir, "ca-bundle.pem"))

    def digest(self, name, what):
        """SHA-256 hex of a certificate's DER (cert) or its SubjectPublicKeyInfo (spki)."""
        if name not in self.paths:
            raise WorldError("macro names unknown certificate %s" % name)
        crt = self.paths[name]["cert"]
        der = rel("pki/digest.der")
        if what == "cert":
            run(["openssl", "x509", "-in", crt, "-outform", "DER", "-out", der])
        else:
            pub = run(["openssl", "x509", "-in", crt, "-pubkey", "-noout"])
            run(["openssl", "pkey", "-pubin", "-outform", "DER", "-out", der], input=pub)
        with open(der, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()


def expand_macros(line, pki):
    def sub(m):
        kind, arg = m.group(1), m.group(2)
        if kind == "pad":
            return "x" * int(arg)
        if kind == "strings":
            # N filler bytes as quoted character-strings of at most 250 (a TXT RR of any size).
            n = int(arg)
            return " ".join('"%s"' % ("y" * min(250, n - i)) for i in range(0, n, 250))
        if kind in ("spki-sha256", "cert-sha256"):
            return pki.digest(arg, kind.split("-")[0])
        raise WorldError("unknown macro %%{%s:%s}" % (kind, arg))
    return re.sub(r"%\{([a-z0-9-]+):([A-Za-z0-9._-]+)\}", sub, line)


# ------------------------------------------------------------------------------ DNS

def soa(ns, serial):
    return "@ SOA %s. hostmaster.nic.mxs. %d 3600 600 86400 60" % (ns, serial)


def keygen(zone, keydir):
    base = run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", zone + "."], cwd=keydir).strip()
    return os.path.join(keydir, base)


def ds_lines(keybase, ttl):
    out = []
    for line in run(["ldns-key2ds", "-n", "-2", keybase + ".key"]).splitlines():
        tok = line.split()
        if len(tok) >= 7 and "DS" in tok:
            i = tok.index("DS")
            out.append("%s %d IN DS %s" % (tok[0], ttl, " ".join(tok[i + 1:])))
    if not out:
        raise WorldError("no DS for %s" % keybase)
    return out


def sign_zone(zone, path, kind, keydir, expire):
    """Sign path into path.signed according to kind; return the DS lines for the parent."""
    key = keygen(zone, keydir)
    args = ["ldns-signzone", "-o", zone + ".", "-f", path + ".signed"]
    if kind == "expired":
        args += ["-i", EXPIRED_WINDOW[0], "-e", EXPIRED_WINDOW[1]]
    else:
        args += ["-e", expire]
    if kind == "nsec3":
        args += ["-n", "-a", "1", "-t", "0"]
    run(args + [path, key])
    if kind == "no-dnskey":
        kept = []
        for line in open(path + ".signed"):
            tok = line.split()
            if len(tok) > 4 and (tok[3] == "DNSKEY" or (tok[3] == "RRSIG" and tok[4] == "DNSKEY")):
                continue
            kept.append(line)
        write(path + ".signed", "".join(kept))
    if kind == "bad-ds":
        return ds_lines(keygen(zone, keydir), 60)
    return ds_lines(key, 60)


def fakedns_delegations(world, scenarios):
    """TLD lines delegating each `fakedns:` scenario to its hostile server (NS + glue)."""
    addrs = {str(ipaddress.ip_address(f["addr"])) for f in world.get("fakedns", [])}
    lines = []
    for dom, sc in scenarios.items():
        if "fakedns" not in sc:
            continue
        addr = str(ipaddress.ip_address(sc["fakedns"]))
        if addr not in addrs:
            raise WorldError("scenario %s: fakedns %s is not a fakedns address of world.yaml"
                             % (dom, addr))
        lines += ["%s. NS ns.%s." % (dom, dom), "ns.%s. A %s" % (dom, addr)]
    return lines


def build_dns(world, zones, pki, ttl, delegations=()):
    d = world["dns"]
    zdir, keydir = rel("dns/zones"), rel("dns/keys")
    os.makedirs(zdir)
    os.makedirs(keydir)
    serial = int(time.time())
    expire = time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + 30 * 86400))
    leaf_files = {}
    for z in zones.values():
        text = ["$ORIGIN %s." % z.name, "$TTL %d" % ttl, soa(d["leaf"]["name"], serial),
                "@ NS %s." % d["leaf"]["name"]]
        for origin, lines in z.blocks:
            text.append("$ORIGIN %s." % origin)
            text += [expand_macros(l, pki) for l in lines]
        path = os.path.join(zdir, z.name + ".zone")
        write(path, "\n".join(text) + "\n")
        if z.dnssec == "unsigned":
            leaf_files[z.name] = path
        else:
            z.ds = sign_zone(z.name, path, z.dnssec, keydir, expire)
            leaf_files[z.name] = path + ".signed"

    tld = d["tld"]["zone"]
    text = ["$ORIGIN %s." % tld, "$TTL %d" % ttl, soa(d["tld"]["name"], serial),
            "@ NS %s." % d["tld"]["name"]]
    for role in ("root", "tld", "leaf"):
        text.append("%s. A %s" % (d[role]["name"], d[role]["addr"]))
    for z in zones.values():
        if not z.name.endswith("." + tld):
            raise WorldError("zone %s is not under %s." % (z.name, tld))
        text.append("%s. NS %s." % (z.name, d["leaf"]["name"]))
        text += z.ds
    text += delegations     # unsigned: no DS
    tld_path = os.path.join(zdir, "tld.zone")
    write(tld_path, "\n".join(text) + "\n")
    tld_ds = sign_zone(tld, tld_path, "signed", keydir, expire)

    text = ["$ORIGIN .", "$TTL %d" % ttl, soa(d["root"]["name"], serial),
            "@ NS %s." % d["root"]["name"], "%s. NS %s." % (tld, d["tld"]["name"])] + tld_ds
    for role in ("root", "tld"):
        text.append("%s. A %s" % (d[role]["name"], d[role]["addr"]))
    root_path = os.path.join(zdir, "root.zone")
    write(root_path, "\n".join(text) + "\n")
    root_ds = sign_zone("", root_path, "signed", keydir, expire)

    # Trust anchor: the root DS (unbound, getdns), the DNSKEY too, and delv's format.
    write(rel("root.key"), "\n".join(root_ds) + "\n")
    dnskeys = [l.split(";")[0].strip() for l in open(root_path + ".signed")
               if len(l.split()) > 3 and l.split()[0] == "." and l.split()[3] == "DNSKEY"]
    write(rel("root.dnskey"), "\n".join(dnskeys) + "\n")
    ds = root_ds[0].split()
    write(rel("delv-anchors.conf"), 'trust-anchors {\n\t. static-ds %s %s %s "%s";\n};\n'
          % (ds[4], ds[5], ds[6], "".join(ds[7:])))
    write(rel("root.hints"), ".\t3600000\tNS\t%s.\n%s.\t3600000\tA\t%s\n"
          % (d["root"]["name"], d["root"]["name"], d["root"]["addr"]))
    return {"root": {".": root_path + ".signed"}, "tld": {tld: tld_path + ".signed"},
            "leaf": leaf_files}


NSD_CONF = """server:
    ip-address: {addr}
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "{dir}/zone.list"
    xfrdfile: "{dir}/xfrd.state"
    xfrdir: "{dir}"
    pidfile: "{run}/pids/nsd-{role}.pid"
    logfile: "{run}/log/nsd-{role}.log"
    server-count: 1
    verbosity: 1
    hide-version: yes
    refuse-any: no
    round-robin: no
    # Debian builds NSD with response rate limiting: every query comes from unbound (or one
    # scanner), so a scan of many domains would be throttled into timeouts.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
"""


def build_nsd(world, files):
    confs = {}
    for role, zones in files.items():
        d = rel("nsd/" + role)
        os.makedirs(d)
        text = NSD_CONF.format(addr=world["dns"][role]["addr"], dir=d, run=RUN, role=role)
        for name, path in zones.items():
            text += 'zone:\n    name: "%s"\n    zonefile: "%s"\n' % (name if name == "." else
                                                                        name + ".", path)
        confs[role] = os.path.join(d, "nsd.conf")
        write(confs[role], text)
        run(["nsd-checkconf", confs[role]])
    return confs


UNBOUND_CONF = """server:
    interface: {addr}
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    directory: "{run}"
    pidfile: "{run}/pids/unbound.pid"
    logfile: "{run}/log/unbound.log"
    use-syslog: no
    log-servfail: yes
    verbosity: 1
    val-log-level: 2
    ede: yes
    num-threads: 1
    so-reuseport: no
    outgoing-range: 4096
    # A scan sends hundreds of queries at once; the default 208 KiB buffer drops some.
    so-rcvbuf: 4m
    so-sndbuf: 4m
    num-queries-per-thread: 4096
    # dns-tc-silent.mxs's server takes TCP queries and never answers; unbound keeps each for
    # over a minute. With the default 10 outgoing TCP slots, a few scans of it would leave none
    # for the answers that need TCP (mx-bigtxt.mxs, dns-txt64k.mxs).
    outgoing-num-tcp: 128
    incoming-num-tcp: 128
    wait-limit: 0
    access-control: 127.0.0.0/8 allow
    access-control: ::1 allow
    root-hints: "{run}/root.hints"
    trust-anchor-file: "{run}/root.key"
    module-config: "validator iterator"
    do-not-query-localhost: no
    qname-minimisation: no
    aggressive-nsec: no
    prefetch: no
    rrset-roundrobin: no
    cache-max-ttl: 10
    cache-max-negative-ttl: 5
    infra-host-ttl: 30
    val-bogus-ttl: 5
    harden-dnssec-stripped: yes
    trust-anchor-signaling: no
    root-key-sentinel: no
    extended-statistics: yes
# unbound-control -c run/unbound/unbound.conf stats_noreset (inside the namespace)
remote-control:
    control-enable: yes
    control-interface: "{run}/unbound/control.sock"
    control-use-cert: no
"""


# ------------------------------------------------------------------------------ services

POSTFIX_MAIN = """# Generated by tests/world/lib/world.py: answers EHLO/STARTTLS/QUIT only.
compatibility_level = 3.6
queue_directory = {pf}/spool
data_directory = {pf}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.world.mxs
mydomain = world.mxs
myorigin = $myhostname
mydestination =
relay_domains =
inet_interfaces = all
inet_protocols = all
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = reject
smtpd_recipient_restrictions = reject
smtpd_peername_lookup = no
smtpd_banner = $myhostname ESMTP mxsworld postfix
smtpd_tls_security_level = may
smtpd_tls_chain_files = {default_chain}
smtpd_tls_loglevel = 1
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_event_limit_exceptions = 0.0.0.0/0, [::]/0
smtputf8_enable = no
alias_maps =
alias_database =
local_transport = error:no local delivery in the test world
biff = no
disable_dns_lookups = yes
maillog_file_prefixes = {run}/log
maillog_file = {run}/log/postfix.log
"""

POSTFIX_MASTER = """# Generated by tests/world/lib/world.py: one smtpd per address and certificate.
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def build_postfix(world, pki):
    pf = rel("postfix")
    for sub in ("etc", "spool", "data"):
        os.makedirs(os.path.join(pf, sub))
    shutil.chown(os.path.join(pf, "data"), "postfix", "postfix")  # postfix's own lock files
    main = POSTFIX_MAIN.format(pf=pf, run=RUN,
                               default_chain=pki.paths["mx-valid"]["chain"].replace(
                                   ".chain.pem", ".postfix.pem"))
    master = POSTFIX_MASTER
    for p in world["postfix"]:
        ip = ipaddress.ip_address(p["addr"])
        listen = ("[%s]:25" % ip) if ip.version == 6 else ("%s:25" % ip)
        chain = pki.paths[p["cert"]]["chain"].replace(".chain.pem", ".postfix.pem")
        master += ("%s inet n - n - - smtpd\n  -o syslog_name=postfix/%s\n"
                   "  -o smtpd_tls_chain_files=%s\n" % (listen, p["cert"], chain))
    write(os.path.join(pf, "etc/main.cf"), main)
    write(os.path.join(pf, "etc/master.cf"), master)
    return os.path.join(pf, "etc")


NGINX_HEAD = """# Generated by tests/world/lib/world.py: MTA-STS sites (HTTPS, SNI), CRLs (HTTP).
user root;
worker_processes 1;
pid {run}/pids/nginx.pid;
error_log {run}/log/nginx-error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {run}/log/nginx-access.log;
    client_body_temp_path {run}/nginx/tmp/body;
    proxy_temp_path {run}/nginx/tmp/proxy;
    fastcgi_temp_path {run}/nginx/tmp/fastcgi;
    uwsgi_temp_path {run}/nginx/tmp/uwsgi;
    scgi_temp_path {run}/nginx/tmp/scgi;
    types {{ }}
    default_type application/octet-stream;
    server_tokens off;
    ssl_protocols TLSv1.2 TLSv1.3;
    server {{
        listen {https}:443 ssl default_server;
        ssl_reject_handshake on;
    }}
    server {{
        listen {crl}:80 default_server;
        server_name crl.pki.mxs;
        root {run}/pki/crl;
        location ~ \\.crl$ {{ default_type application/pkix-crl; }}
    }}
"""


def build_nginx(world, scenarios, pki):
    h = world["https"]
    text = NGINX_HEAD.format(run=RUN, https=h["addr"], crl=h["crl_addr"])
    os.makedirs(rel("nginx/tmp"))
    sites = []
    for dom, sc in scenarios.items():
        if "mta_sts" not in sc or "addr" in sc["mta_sts"]:
            continue    # no site, or a hostile one (fakehttp)
        m, host = sc["mta_sts"], "mta-sts." + dom
        cert = pki.paths[m.get("cert", h["cert"])]
        root = rel("www/" + host)
        os.makedirs(os.path.join(root, ".well-known"))
        if "policy" in m:
            write(os.path.join(root, ".well-known/mta-sts.txt"), m["policy"])
        if "redirect" in m:
            loc = "return 301 %s;" % m["redirect"]
        elif int(m.get("status", 200)) != 200:
            loc = "return %d;" % int(m["status"])
        else:
            loc = "default_type %s;" % m.get("content_type", "text/plain")
        text += """    server {{
        listen {addr}:443 ssl;
        server_name {host};
        ssl_certificate {chain};
        ssl_certificate_key {key};
        root {root};
        location = /.well-known/mta-sts.txt {{ {loc} }}
    }}
""".format(addr=h["addr"], host=host, chain=cert["chain"], key=cert["key"], root=root, loc=loc)
        sites.append(host)
    text += "}\n"
    write(rel("nginx/nginx.conf"), text)
    return sites


def build_fakesmtp(world, pki, by_addr):
    listen = []
    bulk_delay = os.environ.get("MXSWORLD_BULK_DELAY_MS")
    for f in world["fakesmtp"]:
        e = dict(f)
        if "range" in e and bulk_delay:
            e["delay_ms"] = int(bulk_delay)   # benchmarks: a slow bulk of peers
        cert = pki.paths[e.pop("cert", "mx-valid")]
        e["cert"], e["key"] = cert["chain"], cert["key"]
        if "addr" in e:
            names = by_addr.get(str(ipaddress.ip_address(e["addr"])), [])
            e.setdefault("hostname", names[0] if names else "fake.world.mxs")
        listen.append(e)
    write(rel("fakesmtp.json"), json.dumps({"port": 25, "listen": listen}, indent=1) + "\n")
    run([PYTHON, os.path.join(LIB, "fakesmtp.py"), "--config", rel("fakesmtp.json"), "--check"])


def build_fakehttp(world, pki):
    """fakehttp.json: every hostile HTTP(S) peer; a TLS one gets its certificate's chain and key,
    an ocsp-file one the response file of its `ocsp_about` certificate."""
    listen = []
    for f in world.get("fakehttp", []):
        e = dict(f)
        e["addr"] = str(ipaddress.ip_address(e["addr"]))
        if "cert" in e:
            cert = pki.paths[e["cert"]]
            e["cert"], e["key"] = cert["chain"], cert["key"]
        if "ocsp_about" in e:
            e["file"] = pki.ocsp_response_about(e.pop("ocsp_about"))
        listen.append(e)
    write(rel("fakehttp.json"), json.dumps({"listen": listen}, indent=1) + "\n")
    run([PYTHON, os.path.join(LIB, "fakehttp.py"), "--config", rel("fakehttp.json"), "--check"])


def build_fakedns(world):
    listen = [dict(f, addr=str(ipaddress.ip_address(f["addr"])))
              for f in world.get("fakedns", [])]
    write(rel("fakedns.json"), json.dumps({"listen": listen}, indent=1) + "\n")
    run([PYTHON, os.path.join(LIB, "fakedns.py"), "--config", rel("fakedns.json"), "--check"])



def scanner_configs(world):
    common = {
        "tls": {"ca_file": rel("pki/ca-bundle.pem")},
        "store": {"path": ""},
        "scan": {"smtp_port": 25, "ehlo_name": "scanner.mxs", "deadline": 60,
                 "connect_timeout": 3, "reply_timeout": 5},
        # Dozens of scenario MX names share 127.0.2.1: let one scan of them all finish.
        "limits": {"smtp_per_address": 4, "smtp_rate_per_address": 6000},
    }
    stub = {"dns": {"mode": "stub", "validate": "getdns", "upstreams": [world["dns"]["resolver"]],
                    "trust_anchor": rel("root.key"), "timeout": 5000}}
    rec = {"dns": {"mode": "recursive", "validate": "getdns", "root_hints": rel("root.hints"),
                   "trust_anchor": rel("root.key"), "timeout": 5000}}
    upstream = {"dns": {"mode": "stub", "validate": "upstream",
                        "upstreams": [world["dns"]["resolver"]], "timeout": 5000}}
    for name, dns in (("stub", stub), ("recursive", rec), ("upstream", upstream)):
        conf = dict(dns)
        conf.update(common)
        write(rel("mxsurvey-%s.yaml" % name),
              "# Generated by tests/world/lib/world.py for `mxsurvey scan` inside the world.\n"
              + yaml.safe_dump(conf, default_flow_style=False, sort_keys=False))


def build(world, scenarios):
    t0 = time.time()
    check_scenarios(scenarios)
    if os.path.isdir(RUN):
        shutil.rmtree(RUN)
    for sub in ("pids", "log"):
        os.makedirs(rel(sub))
    zones = build_zones(world, scenarios)
    by_addr = names_by_addr(zones)
    pki = Pki(world)
    pki.build(cert_names(world, scenarios, by_addr))
    log("pki: %d certificates in %.1f s" % (len(world["pki"]["certs"]), time.time() - t0))
    files = build_dns(world, zones, pki, world.get("ttl", 60),
                      fakedns_delegations(world, scenarios))
    log("dns: %d zones signed in %.1f s" % (len(zones) + 2, time.time() - t0))
    nsd = build_nsd(world, files)
    write(rel("unbound/unbound.conf"), UNBOUND_CONF.format(addr=world["dns"]["resolver"], run=RUN))
    run(["unbound-checkconf", rel("unbound/unbound.conf")])
    postfix = build_postfix(world, pki)
    sites = build_nginx(world, scenarios, pki)
    build_fakesmtp(world, pki, by_addr)
    build_fakehttp(world, pki)
    build_fakedns(world)
    scanner_configs(world)
    write(rel("world.json"), json.dumps({
        "namespace": world["namespace"], "resolver": world["dns"]["resolver"],
        "configs": {"stub": rel("mxsurvey-stub.yaml"), "recursive": rel("mxsurvey-recursive.yaml"),
                    "upstream": rel("mxsurvey-upstream.yaml")},
        "ca_bundle": rel("pki/ca-bundle.pem"), "root_key": rel("root.key"),
        "root_hints": rel("root.hints"), "mta_sts_sites": sites,
        "scenarios": list(scenarios)}, indent=1) + "\n")
    log("built %s in %.1f s" % (RUN, time.time() - t0))
    return nsd, postfix


# ------------------------------------------------------------------------------ up / down

def ns_exec(world, args):
    return ["ip", "netns", "exec", world["namespace"]] + args


def namespace_exists(name):
    return os.path.exists("/run/netns/" + name)


def expected_sockets(world):
    """{(addr, port)} every service must be listening on (TCP)."""
    want = {(world["dns"]["resolver"], 53)}
    for role in ("root", "tld", "leaf"):
        want.add((world["dns"][role]["addr"], 53))
    for p in world["postfix"]:
        want.add((str(ipaddress.ip_address(p["addr"])), 25))
    for f in world["fakesmtp"]:
        if "addr" in f:
            want.add((str(ipaddress.ip_address(f["addr"])), 25))
        else:
            want.update((str(a), 25) for a in ipaddress.ip_network(f["range"]))
    want.add((world["https"]["addr"], 443))
    want.add((world["https"]["crl_addr"], 80))
    want.add(("*", world["https"]["ocsp_port"]))
    for f in world.get("fakehttp", []):
        want.add((str(ipaddress.ip_address(f["addr"])), f["port"]))
    for f in world.get("fakedns", []):
        if f["tcp"] != "refuse":
            want.add((str(ipaddress.ip_address(f["addr"])), 53))
    return want


def listening(world):
    out = subprocess.run(ns_exec(world, ["ss", "-Hltn"]), capture_output=True, text=True).stdout
    have = set()
    for line in out.splitlines():
        tok = line.split()
        if len(tok) < 4:
            continue
        addr, _, port = tok[3].rpartition(":")
        have.add((addr.strip("[]"), int(port)))
    return have


def wait_ready(world, timeout=30):
    want = expected_sockets(world)
    deadline = time.time() + timeout
    while True:
        missing = want - listening(world)
        if not missing:
            break
        if time.time() > deadline:
            raise WorldError("not listening after %d s: %s" % (timeout, ", ".join(
                "%s:%d" % m for m in sorted(missing)[:20])))
        time.sleep(0.2)
    # fakedns writes its pid file once its UDP sockets (which ss -lt does not list) are bound.
    while world.get("fakedns") and pid_of(rel("pids/fakedns.pid")) is None:
        if time.time() > deadline:
            raise WorldError("fakedns did not start (log/fakedns.log)")
        time.sleep(0.2)
    log("all %d sockets listening" % len(want))
    # The resolver must validate the chain end to end before anybody uses the world.
    while True:
        p = subprocess.run(ns_exec(world, ["dig", "@" + world["dns"]["resolver"], "+dnssec",
                                           "+time=2", "+tries=1", "mx-good.mxs", "MX"]),
                           capture_output=True, text=True)
        if p.returncode == 0 and "status: NOERROR" in p.stdout and re.search(
                r"flags:[^;]* ad[ ;]", p.stdout):
            break
        if time.time() > deadline:
            raise WorldError("unbound does not validate mx-good.mxs MX:\n" + p.stdout + p.stderr)
        time.sleep(0.3)
    log("resolver validates the chain (mx-good.mxs MX is secure)")


def pid_of(path):
    try:
        return int(open(path).read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def start_ocsp(world):
    """openssl's OCSP responder for the intermediate, answering from its CA database (so the
    certificates `openssl ca -revoke` revoked are revoked), signed by the delegated signer.
    It binds every address of the namespace: its -port takes no address."""
    ca = rel("pki/ca-intermediate")
    logf = open(rel("log/ocsp.log"), "a")
    p = subprocess.Popen(ns_exec(world, [
        "openssl", "ocsp", "-index", os.path.join(ca, "index.txt"), "-CA",
        os.path.join(ca, "cert.pem"), "-rsigner", rel("pki/certs/ocsp-signer.crt"),
        "-rkey", rel("pki/certs/ocsp-signer.key"), "-port", str(world["https"]["ocsp_port"]),
        "-nmin", "60", "-ignore_err"]),
        stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    write(rel("pids/ocsp.pid"), "%d\n" % p.pid)
    log("started the OCSP responder on port %d" % world["https"]["ocsp_port"])


def start(world, nsd, postfix):
    name = world["namespace"]
    run(["ip", "netns", "add", name])
    run(ns_exec(world, ["ip", "link", "set", "lo", "up"]))
    for a in world.get("ipv6", []):
        run(ns_exec(world, ["ip", "-6", "addr", "add", "%s/128" % a, "dev", "lo", "nodad"]))
    log("namespace %s: lo up, IPv6 %s" % (name, ", ".join(world.get("ipv6", []))))
    for role in ("root", "tld", "leaf"):
        run(ns_exec(world, ["nsd", "-c", nsd[role]]))
        log("started nsd-%s on %s:53" % (role, world["dns"][role]["addr"]))
    run(ns_exec(world, ["unbound", "-c", rel("unbound/unbound.conf")]))
    log("started unbound on %s:53" % world["dns"]["resolver"])
    # postfix reports start-up errors only to syslog, or to stderr when that is a terminal.
    run(["script", "-qec", shlex.join(ns_exec(world, ["postfix", "-c", postfix, "start"])),
         "/dev/null"])
    log("started postfix on port 25 of %s" % ", ".join(p["addr"] for p in world["postfix"]))
    run(ns_exec(world, ["nginx", "-e", rel("log/nginx-error.log"), "-p", rel("nginx"),
                        "-c", rel("nginx/nginx.conf")]))
    log("started nginx on %s:443 (MTA-STS), %s:80 (CRL)" % (world["https"]["addr"],
                                                          world["https"]["crl_addr"]))
    start_ocsp(world)
    logf = open(rel("log/fakesmtp.log"), "a")
    subprocess.Popen(ns_exec(world, [PYTHON, os.path.join(LIB, "fakesmtp.py"), "--config",
                                     rel("fakesmtp.json"), "--pidfile", rel("pids/fakesmtp.pid")]),
                     stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                     start_new_session=True)
    log("started fakesmtp on %d entries of world.yaml" % len(world["fakesmtp"]))
    for name in ("fakehttp", "fakedns"):
        logf = open(rel("log/%s.log" % name), "a")
        subprocess.Popen(ns_exec(world, [PYTHON, os.path.join(LIB, name + ".py"), "--config",
                                         rel(name + ".json"), "--pidfile",
                                         rel("pids/%s.pid" % name)]),
                         stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
        log("started %s on %d entries of world.yaml" % (name, len(world.get(name, []))))
    wait_ready(world)
    pids = {f[:-4]: pid_of(rel("pids/" + f)) for f in sorted(os.listdir(rel("pids")))}
    pids["postfix"] = pid_of(rel("postfix/spool/pid/master.pid"))
    log("pids: " + ", ".join("%s %s" % kv for kv in sorted(pids.items())))


def netns_inode(name):
    try:
        return os.stat("/run/netns/" + name).st_ino
    except OSError:
        return None


def in_namespace(pid, ino):
    try:
        return os.readlink("/proc/%d/ns/net" % pid) == "net:[%d]" % ino
    except OSError:
        return False


def stop(world):
    """Stop everything `up` started, then delete the namespace. Safe to call at any time."""
    name = world["namespace"]
    ino = netns_inode(name)
    pids = []
    for f in ("nsd-root.pid", "nsd-tld.pid", "nsd-leaf.pid", "unbound.pid", "nginx.pid",
              "fakesmtp.pid", "ocsp.pid", "fakehttp.pid", "fakedns.pid"):
        pids.append(pid_of(rel("pids/" + f)))
    pids.append(pid_of(rel("postfix/spool/pid/master.pid")))
    if ino is not None:
        # Anything else still in our namespace was started in it by `up` or by a test.
        out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout
        pids += [int(p) for p in out.split()]
    # Only ever signal processes that live in the world's namespace.
    pids = sorted({p for p in pids if p and ino is not None and in_namespace(p, ino)})
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + 5
    while pids and time.time() < deadline:
        pids = [p for p in pids if os.path.exists("/proc/%d" % p) and in_namespace(p, ino)]
        time.sleep(0.1)
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for f in os.listdir(rel("pids")) if os.path.isdir(rel("pids")) else []:
        os.unlink(rel("pids/" + f))
    if ino is not None:
        run(["ip", "netns", "delete", name])
        log("namespace %s deleted" % name)
    else:
        log("namespace %s was not there" % name)


HELD_LOCKS = []


def lock(name):
    """Serialise up/down/build: two at once would delete each other's run directory."""
    d = "/run/lock" if os.path.isdir("/run/lock") else "/tmp"
    f = open(os.path.join(d, "%s.lock" % name), "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log("waiting for another tests/world up/down to finish")
        fcntl.flock(f, fcntl.LOCK_EX)
    return f


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("up", "down", "build"):
        print("usage: world.py up|down|build", file=sys.stderr)
        return 2
    cmd = sys.argv[1]
    if os.geteuid() != 0 and cmd != "build":
        print("world: must run as root (network namespaces)", file=sys.stderr)
        return 1
    t0 = time.time()
    try:
        world, scenarios = load()
        HELD_LOCKS.append(lock(world["namespace"]))   # released when the process exits
        if cmd == "down":
            stop(world)
            return 0
        if cmd == "build":
            if namespace_exists(world["namespace"]):
                raise WorldError("the world is up and runs from %s: tests/world/down first" % RUN)
            build(world, scenarios)
            return 0
        stop(world)
        nsd, postfix = build(world, scenarios)
        start(world, nsd, postfix)
    except WorldError as e:
        print("world: FAILED: %s" % e, file=sys.stderr)
        print("world: logs in %s" % rel("log"), file=sys.stderr)
        return 1
    log("up in %.1f s; scanner configs: %s, %s" % (time.time() - t0, rel("mxsurvey-stub.yaml"),
                                                  rel("mxsurvey-recursive.yaml")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
