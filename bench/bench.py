#!/usr/bin/python3
"""The benchmark driver behind scripts/bench (bench/README.md): generates (or reuses) the scale
world, brings it up in the network namespace `mxsbench`, runs the real scanner over it in each
requested configuration, measures what the world itself can serve (dnsperf, a STARTTLS loop),
prints the figures, appends them to bench/RESULTS.md and tears everything down.

Only processes started here, inside mxsbench, are ever signalled; nothing leaves the namespace
(it has nothing but lo).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import load

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
RUN = os.path.join(BENCH, "run")
NS = "mxsbench"
PYTHON = "/usr/bin/python3"
MODES = {
    # name: dns.mode, dns.validate, who validates
    "recursive": ("recursive", "getdns"),
    "stub-getdns": ("stub", "getdns"),
    "stub-upstream": ("stub", "upstream"),
}
CLK = os.sysconf("SC_CLK_TCK")
SCANNER = os.path.join(REPO, "mxsurvey")   # --scanner
SCANNER_SET = []                           # --set: the scanner's configuration overrides
LIBCOST = os.path.join(RUN, "libcost")     # bench/libcost.c, built on first use


class BenchError(Exception):
    pass


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def run(args, check=True, **kw):
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise BenchError("%s failed (exit %d): %s" % (" ".join(args[:4]), p.returncode,
                                                      (p.stderr or p.stdout).strip()[-800:]))
    return p.stdout


def nsx(args):
    return ["ip", "netns", "exec", NS] + args


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def pid_of(path):
    try:
        return int(open(path).read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def cpu_ticks(pid):
    """utime + stime of a process and its reaped children... of the process (all threads)."""
    try:
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    except (OSError, IndexError, ValueError):
        return 0


# ------------------------------------------------------------------------------ the namespace

def ns_inode():
    try:
        return os.stat("/run/netns/" + NS).st_ino
    except OSError:
        return None


def ns_pids():
    ino = ns_inode()
    if ino is None:
        return []
    out = subprocess.run(["ip", "netns", "pids", NS], capture_output=True, text=True).stdout
    pids = []
    for p in out.split():
        try:
            if os.readlink("/proc/%s/ns/net" % p) == "net:[%d]" % ino:
                pids.append(int(p))
        except OSError:
            pass
    return pids


def ns_down():
    """Stop every process in mxsbench (all of them were started by this script), delete it."""
    if ns_inode() is None:
        return
    pids = ns_pids()
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + 5
    while time.time() < deadline and ns_pids():
        time.sleep(0.1)
    for p in ns_pids():
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    time.sleep(0.2)
    run(["ip", "netns", "delete", NS], check=False)


def ns_up():
    ns_down()
    run(["ip", "netns", "add", NS])
    run(nsx(["ip", "link", "set", "lo", "up"]))


# ------------------------------------------------------------------------------ the world

UNBOUND_CONF = """server:
    interface: {addr}
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    directory: "{w}"
    pidfile: "{w}/pids/unbound.pid"
    logfile: "{w}/log/unbound.log"
    use-syslog: no
    verbosity: 0
    val-log-level: 0
    ede: yes
    num-threads: {threads}
    so-reuseport: yes
    outgoing-range: 32768
    num-queries-per-thread: 16384
    so-rcvbuf: 8m
    so-sndbuf: 8m
    msg-cache-size: 256m
    rrset-cache-size: 512m
    key-cache-size: 64m
    neg-cache-size: 64m
    infra-cache-numhosts: 100000
    access-control: 127.0.0.0/8 allow
    root-hints: "{w}/root.hints"
    trust-anchor-file: "{w}/root.key"
    module-config: "validator iterator"
    do-not-query-localhost: no
    trust-anchor-signaling: no
    root-key-sentinel: no
    statistics-cumulative: yes
    # As config/unbound-mxsurvey.conf: QNAME minimisation walks down to every _dmarc,
    # _domainkey... name label by label (a third of the resolver's CPU here).
    qname-minimisation: no
    # Debian 12's unbound (security update) holds at most wait-limit (1000) queries per client
    # address waiting for recursion and drops the rest: a scanner is one client with thousands.
    wait-limit: 0
remote-control:
    control-enable: yes
    control-interface: "{w}/unbound.ctl"
    control-use-cert: no
"""

NGINX_CONF = """# Generated by bench/bench.py: the MTA-STS sites of the benchmark world (one certificate per
# mta-sts.<domain>, picked by SNI), and the same policy for all.
user root;
worker_processes 1;
pid {w}/pids/nginx.pid;
error_log {w}/log/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log {w}/log/nginx-access.log combined buffer=256k flush=1s;
    client_body_temp_path {w}/nginx/body;
    proxy_temp_path {w}/nginx/proxy;
    fastcgi_temp_path {w}/nginx/fastcgi;
    uwsgi_temp_path {w}/nginx/uwsgi;
    scgi_temp_path {w}/nginx/scgi;
    types {{ }}
    server_tokens off;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets off;
    server {{
        listen {https}:443 ssl;
        server_name ~^mta-sts\\.;
        ssl_certificate {w}/pki/sts/$ssl_server_name.pem;
        ssl_certificate_key {w}/pki/leaf.key;
        root {w}/www;
        location = /.well-known/mta-sts.txt {{ default_type text/plain; }}
        location / {{ return 404; }}
    }}
}}
"""


class World:
    """A generated world (bench/world.py) and the services running it in mxsbench."""

    def __init__(self, path, delay_ms, delay_at, unbound_threads, smtp_workers,
                 unbound_extra=()):
        self.dir = os.path.abspath(path)
        self.info = json.load(open(os.path.join(path, "world.json")))
        self.delay_ms = delay_ms
        self.delay_at = delay_at
        self.unbound_threads = unbound_threads
        self.unbound_extra = list(unbound_extra)   # extra "server:" lines (--unbound-conf)
        self.smtp_workers = smtp_workers
        self.procs = []         # Popen objects of services that stay in the foreground
        self.resolver = self.info["resolver"]

    def p(self, *parts):
        return os.path.join(self.dir, *parts)

    def nsd_listen(self, role):
        """(address NSD binds, address the world knows it by)."""
        public = self.info["nsd"][role]
        if self.delay_ms and self.delay_at == "auth":
            return self.info["hidden_prefix"] + "." + public.split(".", 2)[2], public
        return public, public

    def up(self):
        t0 = time.time()
        ns_up()
        for f in os.listdir(self.p("pids")):
            os.unlink(self.p("pids", f))
        for f in os.listdir(self.p("log")):
            os.unlink(self.p("log", f))
        proxy_maps = []
        for role in self.info["nsd"]:
            listen, public = self.nsd_listen(role)
            conf = self.p("nsd", role, "nsd.conf")
            write(conf, open(conf + ".in").read().replace("{listen}", listen))
            run(nsx(["nsd", "-c", conf]))
            if listen != public:
                proxy_maps.append("%s=%s" % (public, listen))
        conf = UNBOUND_CONF.format(addr=self.resolver, w=self.dir, threads=self.unbound_threads)
        if self.unbound_extra:
            conf = conf.replace("remote-control:", "".join(
                "    %s\n" % line for line in self.unbound_extra) + "remote-control:", 1)
        write(self.p("unbound.conf"), conf)
        run(["unbound-checkconf", self.p("unbound.conf")])
        run(nsx(["unbound", "-c", self.p("unbound.conf")]))
        if self.delay_ms and self.delay_at == "resolver":
            proxy_maps.append("%s=%s" % (self.info["resolver_proxy"], self.resolver))
        if proxy_maps:
            self.spawn("dnsdelay", [os.path.join(RUN, "dnsdelay"), "-d", str(self.delay_ms),
                                    "-p", self.p("pids", "dnsdelay.pid")] + proxy_maps)
        self.spawn("smtpd", [PYTHON, os.path.join(BENCH, "smtpd.py"), "--world", self.dir,
                             "--workers", str(self.smtp_workers), "--delay-ms",
                             str(self.delay_ms), "--pidfile", self.p("pids", "smtpd.pid")])
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(self.p("nginx", sub), exist_ok=True)
        write(self.p("nginx", "nginx.conf"), NGINX_CONF.format(w=self.dir,
                                                               https=self.info["https"]))
        run(nsx(["nginx", "-e", self.p("log", "nginx-error.log"), "-p", self.p("nginx"),
                 "-c", self.p("nginx", "nginx.conf")]))
        self.wait_ready()
        log("world up in %.1f s (%d domains, %s mix, delay %d ms%s)" % (
            time.time() - t0, self.info["domains"], self.info["mix"], self.delay_ms,
            " at the " + ("authoritative servers" if self.delay_at == "auth" else "resolver")
            if self.delay_ms else ""))

    def spawn(self, name, args):
        logf = open(self.p("log", name + ".log"), "a")
        self.procs.append(subprocess.Popen(nsx(args), stdout=logf, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True))

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        want = {(a, 53) for a in self.info["nsd"].values()} | {(self.resolver, 53),
                                                               (self.info["https"], 443)}
        while True:
            out = run(nsx(["ss", "-Hltn"]), check=False)
            have = set()
            for line in out.splitlines():
                tok = line.split()
                if len(tok) >= 4:
                    a, _, port = tok[3].rpartition(":")
                    have.add((a.strip("[]"), int(port)))
            missing = {w for w in want if w not in have}
            smtp = any(p == 25 for _, p in have)
            if not missing and smtp:
                break
            if time.time() > deadline:
                raise BenchError("not listening after %d s: %s%s (logs in %s)" % (
                    timeout, ", ".join("%s:%d" % m for m in sorted(missing)),
                    "" if smtp else " *:25", self.p("log")))
            time.sleep(0.3)
        first = open(self.p("domains.txt")).readline().strip()
        while True:
            out = run(nsx(["dig", "@" + self.resolver, "+dnssec", "+time=3", "+tries=1",
                           "mail-s.%s" % self.info["tld"], "SOA"]), check=False)
            if "status: NOERROR" in out and re.search(r"flags:[^;]* ad[ ;]", out):
                break
            if time.time() > deadline:
                raise BenchError("unbound does not validate mail-s.%s:\n%s" % (
                    self.info["tld"], out))
            time.sleep(0.5)
        run(nsx(["dig", "@" + self.resolver, "+time=3", "+tries=1", first, "MX"]), check=False)
        self.flush()

    def flush(self):
        """A cold resolver for the next run (also forgets the root and TLD)."""
        run(nsx(["unbound-control", "-c", self.p("unbound.conf"), "reload"]))

    def unbound_stats(self):
        out = run(nsx(["unbound-control", "-c", self.p("unbound.conf"), "stats_noreset"]),
                  check=False)
        st = {}
        for line in out.splitlines():
            k, _, v = line.partition("=")
            try:
                st[k] = float(v)
            except ValueError:
                pass
        return st

    def pids(self):
        """{service: pid} of the long-running services (for CPU accounting)."""
        out = {}
        for f in os.listdir(self.p("pids")):
            if f.endswith(".pid"):
                pid = pid_of(self.p("pids", f))
                if pid:
                    out[f[:-4]] = pid
        return out

    def smtpd_counts(self):
        tot = {"sessions": 0, "starttls": 0, "tls_ok": 0}
        for f in os.listdir(self.p("log")):
            if f.startswith("smtpd-") and f.endswith(".json"):
                try:
                    for k, v in json.load(open(self.p("log", f))).items():
                        tot[k] = tot.get(k, 0) + v
                except (OSError, ValueError):
                    pass
        return tot

    def https_fetches(self):
        try:
            return sum(1 for line in open(self.p("log", "nginx-access.log"))
                       if "mta-sts.txt" in line)
        except OSError:
            return 0

    def down(self):
        ns_down()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.procs = []


# ------------------------------------------------------------------------------ a scan

def scanner_config(world, mode, in_flight, path):
    dns_mode, validate = MODES[mode]
    lines = ["# Generated by bench/bench.py for one benchmark run.",
             "log:", "  level: error",
             "scan:", "  max_in_flight: %d" % in_flight, "  deadline: 120",
             "  smtp_port: 25", '  ehlo_name: "scanner.bench.mxb"',
             "  connect_timeout: 10", "  reply_timeout: 30",
             "dns:", "  mode: %s" % dns_mode, "  validate: %s" % validate,
             '  trust_anchor: "%s"' % world.p("root.key"), "  timeout: 5000"]
    if dns_mode == "stub":
        up = world.resolver
        if world.delay_ms and world.delay_at == "resolver":
            up = world.info["resolver_proxy"]
        lines.append('  upstreams: ["%s"]' % up)
    else:
        lines.append('  root_hints: "%s"' % world.p("root.hints"))
    lines += ["tls:", '  ca_file: "%s"' % world.p("pki", "ca.pem"),
              # The politeness limits are for the Internet; here they would measure themselves.
              "limits:", "  smtp_max_sessions: 5000", "  smtp_per_address: 20",
              "  smtp_rate_per_address: 100000", "  connect_rate: 1000000",
              "store:", "  batch_size: 1000", "  batch_ms: 1000"]
    write(path, "\n".join(lines) + "\n")


def db_figures(db):
    """The run's figures from its store: three passes over the evidence (each pass reads every
    stored evidence, 5 GB at 1M domains), not one per figure."""
    con = sqlite3.connect(db)
    one = lambda sql: [v or 0 for v in con.execute(sql).fetchone()]   # noqa: E731
    f = {}
    f["results"], f["scanned"] = one(
        "SELECT COUNT(*), SUM(state = 'scanned') FROM results")
    f["dns_questions"], f["deadline_hit"], f["smtp_refs"] = one(
        "SELECT SUM(json_array_length(evidence_json, '$.dns')), "
        "SUM(CASE WHEN json_extract(evidence_json, '$.deadline_hit') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN json_type(evidence_json, '$.smtp') = 'array' "
        "THEN json_array_length(evidence_json, '$.smtp') END) FROM evidence")
    # What the floor of DNSSEC work is made of (bench/README.md, "worst case").
    (f["dns_timeouts"], f["secure_ok"], f["secure_nodata"],
     f["secure_nxdomain"]) = one(
        "SELECT SUM(s IN ('timeout', 'error')), SUM(k = 'secure' AND s = 'ok'), "
        "SUM(k = 'secure' AND s = 'nodata'), SUM(k = 'secure' AND s = 'nxdomain') "
        "FROM (SELECT json_extract(d.value, '$.status') AS s, "
        "json_extract(d.value, '$.dnssec') AS k "
        "FROM evidence, json_each(evidence_json, '$.dns') d)")
    # A probe shared through the per-address cache is in the evidence of every domain that
    # used it: count each (address, host, start) once.
    f["smtp_distinct"], f["tls_probes"] = one(
        "SELECT COUNT(*), SUM(tls) FROM (SELECT MAX(CASE WHEN json_extract(p.value, '$.tls') "
        "THEN 1 ELSE 0 END) AS tls FROM evidence, json_each(evidence_json, '$.smtp') p "
        "GROUP BY json_extract(p.value, '$.address'), json_extract(p.value, '$.host'), "
        "json_extract(p.value, '$.started_ms'))")
    f["verdicts"] = {}
    for check, status, n in con.execute(
            "SELECT check_name, status, COUNT(*) FROM verdicts GROUP BY 1, 2"):
        f["verdicts"].setdefault(check, {})[status] = n
    f["signed_domains"] = f["verdicts"].get("dnssec", {}).get("pass", 0)
    f["tls_domains"] = f["verdicts"].get("starttls", {}).get("pass", 0)
    con.close()
    return f


def questions(db, path, limit):
    """Write the scan's DNS questions (dnsperf format), at most limit, in scan order."""
    con = sqlite3.connect(db)
    n = 0
    with open(path, "w") as out:
        for name, qtype in con.execute(
                "SELECT json_extract(d.value, '$.name'), json_extract(d.value, '$.type') "
                "FROM evidence e, json_each(e.evidence_json, '$.dns') d ORDER BY e.result_id"):
            if n >= limit:
                break
            out.write("%s %s\n" % (name, QTYPES.get(qtype, "TYPE%d" % qtype)))
            n += 1
    con.close()
    return n


QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA",
          43: "DS", 48: "DNSKEY", 52: "TLSA", 99: "SPF"}


STOP_WAIT_S = 900   # a stopped scanner drains, commits and prints what it has: minutes at 1M


def children(pid):
    """The child processes of pid (the scanner under /usr/bin/time)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        return []


# ------------------------------------------------------------------------------ counted crypto

VERIFY_EVENT = "probe_libcrypto:mxsbench_ecdsa_verify"
VERIFY_PROBE = None     # the uprobe's event while it exists (verify_probe_add)


def verify_probe_add():
    """A uprobe on libcrypto's ECDSA_do_verify, so that a run counts the signature checks the
    scanner and the resolver really make (perf stat), beside the modelled floor. Set on the
    function's own address: a probe by name also lands on the PLT stub and counts calls twice.
    Returns the event name, or None where perf or uprobes are missing."""
    global VERIFY_PROBE
    lib = None
    for line in run(["ldd", SCANNER], check=False).splitlines():
        if "libcrypto.so" in line and "=>" in line:
            lib = line.split("=>")[1].split()[0]
    if not lib or not shutil.which("perf") or not shutil.which("objdump"):
        return None
    addr = None
    for line in run(["objdump", "-T", lib], check=False).splitlines():
        tok = line.split()
        if tok and tok[-1] == "ECDSA_do_verify" and ".text" in tok:
            addr = tok[0]
    if addr is None:
        return None
    run(["perf", "probe", "-q", "-d", VERIFY_EVENT], check=False)
    p = subprocess.run(["perf", "probe", "-q", "-x", lib, "-a",
                        "%s=0x%s" % (VERIFY_EVENT.split(":")[1], addr)], capture_output=True,
                       text=True)
    if p.returncode != 0:
        log("no uprobe on ECDSA_do_verify (%s): the floor is modelled only" %
            (p.stderr.strip().splitlines() or ["?"])[-1])
        return None
    VERIFY_PROBE = VERIFY_EVENT
    return VERIFY_PROBE


def verify_probe_del():
    global VERIFY_PROBE
    if VERIFY_PROBE:
        run(["perf", "probe", "-q", "-d", VERIFY_PROBE], check=False)
    VERIFY_PROBE = None


def verify_count_start(pid, path):
    """perf stat counting the probe's hits in process pid, until verify_count_stop."""
    return subprocess.Popen(["perf", "stat", "-x,", "-e", VERIFY_PROBE, "-p", str(pid), "-o",
                             path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def verify_count_stop(proc, path):
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    try:
        for line in open(path):
            tok = line.split(",")
            if len(tok) > 2 and VERIFY_PROBE in tok[2]:
                return int(tok[0])
    except (OSError, ValueError):
        pass
    return None


def scan(world, mode, in_flight, domains_file, n, timeout, tag):
    """One run of the real scanner; returns its figures."""
    d = os.path.join(world.dir, "runs", tag)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    cfg, db = os.path.join(d, "bench-config.yaml"), os.path.join(d, "scan.db")
    scanner_config(world, mode, in_flight, cfg)
    world.flush()
    for f in os.listdir(world.p("log")):
        if f.startswith("smtpd-"):
            try:
                os.unlink(world.p("log", f))
            except FileNotFoundError:
                pass                        # a worker's .tmp, renamed meanwhile
    open(world.p("log", "nginx-access.log"), "w").close()
    run(nsx(["nginx", "-p", world.p("nginx"), "-c", world.p("nginx", "nginx.conf"), "-s",
             "reopen"]), check=False)
    time.sleep(1.2)                         # smtpd rewrites its counters every second
    smtp0, https0 = world.smtpd_counts(), world.https_fetches()
    pids = world.pids()
    cpu0 = {k: cpu_ticks(p) for k, p in pids.items()}
    st0 = world.unbound_stats()
    timef = os.path.join(d, "time.txt")
    args = nsx(["/usr/bin/time", "-f", "%e %U %S %M", "-o", timef, SCANNER,
                "scan", "-f", domains_file, "--format", "jsonl", "--db", db, "-c", cfg,
                "--no-progress"] + [a for kv in SCANNER_SET for a in ("--set", kv)])
    t0 = time.time()
    with open(os.path.join(d, "out.jsonl"), "w") as out, \
            open(os.path.join(d, "stderr.log"), "w") as err:
        p = subprocess.Popen(args, stdout=out, stderr=err, start_new_session=True)
        counters = []
        if VERIFY_PROBE:
            for _ in range(100):            # the scanner, once /usr/bin/time has started it
                scanner = children(p.pid)
                if scanner:
                    break
                time.sleep(0.01)
            for who, pid in (("scanner", scanner[0] if scanner else None),
                             ("resolver", pids.get("unbound"))):
                if pid:
                    path = os.path.join(d, "verify-%s.txt" % who)
                    counters.append((who, verify_count_start(pid, path), path))
        stopped = False
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # SIGTERM to the scanner alone: /usr/bin/time must live to report its figures.
            log("%s: still running after %d s: stopping it" % (tag, timeout))
            stopped = True
            scanners = children(p.pid)
            for c in scanners:
                os.kill(c, signal.SIGTERM)
            if not scanners:
                os.killpg(p.pid, signal.SIGTERM)
            try:
                rc = p.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                rc = p.wait()
    wall = time.time() - t0
    verifies = {who: verify_count_stop(proc, path) for who, proc, path in counters}
    time.sleep(1.2)
    cpu1 = {k: cpu_ticks(p) for k, p in pids.items()}
    st1 = world.unbound_stats()
    smtp1, https1 = world.smtpd_counts(), world.https_fetches()
    timetext = open(timef).read() if os.path.exists(timef) else ""
    crashed = re.search(r"terminated by signal (\d+)", timetext)
    try:
        el, us, sy, rss = timetext.split()[-4:]
        el, us, sy, rss = float(el), float(us), float(sy), int(rss)
    except (OSError, ValueError):
        raise BenchError("%s: the scanner left no timing (exit %d); see %s" % (tag, rc, d))
    f = db_figures(db) if os.path.exists(db) else {}
    wcpu = {k: (cpu1.get(k, 0) - cpu0.get(k, 0)) / CLK for k in pids}
    r = {
        "tag": tag, "mode": mode, "in_flight": in_flight, "domains": n, "exit": rc,
        "mix": world.info["mix"], "delay_ms": world.delay_ms,
        "delay_at": world.delay_at if world.delay_ms else "",
        "elapsed": el, "wall": round(wall, 2), "user": us, "sys": sy, "rss_kb": rss,
        "world_cpu": wcpu, "unbound_cpu": wcpu.get("unbound", 0.0),
        "unbound_queries": st1.get("total.num.queries", 0) - st0.get("total.num.queries", 0),
        "unbound_cachemiss": st1.get("total.num.cachemiss", 0) -
        st0.get("total.num.cachemiss", 0),
        "smtp_sessions": smtp1["sessions"] - smtp0["sessions"],
        "smtp_tls": smtp1["tls_ok"] - smtp0["tls_ok"],
        "https_fetches": https1 - https0,
        "db": db, "crashed": "signal %s" % crashed.group(1) if crashed else "",
        "verifies": verifies,       # ECDSA verifications counted, by process
    }
    r.update(f)
    if stopped and 0 < f.get("results", 0) < n:
        # Figures per domain of the domains scanned, which the store knows.
        log("%s: stopped after %d of %d domains" % (tag, f["results"], n))
        r["stopped_of"] = n
        n = r["domains"] = f["results"]
    r["rate"] = n / el if el else 0
    r["cpu_ms"] = (us + sy) * 1000 / n
    # Scanner CPU: the mxsurvey process, plus the validating resolver it relies on.
    r["cpu_ms_total"] = r["cpu_ms"] + (r["unbound_cpu"] * 1000 / n
                                       if mode == "stub-upstream" else 0)
    return r


def baseline_rss(world, mode):
    """Peak RSS of a one-domain scan: what the scanner needs before any domain is in flight."""
    d = os.path.join(world.dir, "runs", "baseline")
    os.makedirs(d, exist_ok=True)
    one = os.path.join(d, "one.txt")
    write(one, open(world.p("domains.txt")).readline())
    cfg = os.path.join(d, "cfg.yaml")
    scanner_config(world, mode, 1, cfg)
    timef = os.path.join(d, "time.txt")
    run(nsx(["/usr/bin/time", "-f", "%M", "-o", timef, SCANNER, "scan",
             "-f", one, "--format", "jsonl", "-c", cfg, "--no-progress"]), check=False)
    try:
        return int(open(timef).read().split()[-1])
    except (OSError, ValueError, IndexError):
        return 0


# ------------------------------------------------------------------------------ limits

def questions_file(world):
    """The scan's questions in dnsperf's format, written by dnsperf_limit."""
    return os.path.join(world.dir, "runs", "dnsperf-queries.txt")


def dnsperf_limit(world, db, seconds, max_queries):
    """What the world's resolver serves, cold, for the same questions as the scan."""
    qf = questions_file(world)
    n = questions(db, qf, max_queries)
    if n == 0:
        return None
    world.flush()
    unbound = world.pids().get("unbound")
    cpu0 = cpu_ticks(unbound) if unbound else 0
    out = run(nsx(["dnsperf", "-s", world.resolver, "-d", qf, "-n", "1", "-l", str(seconds),
                   "-c", "8", "-q", "4000", "-t", "5", "-D"]), check=False)
    cpu = (cpu_ticks(unbound) - cpu0) / CLK if unbound else 0.0
    m = re.search(r"Queries per second:\s+([\d.]+)", out)
    lost = re.search(r"Queries lost:\s+(\d+)", out)
    completed = re.search(r"Queries completed:\s+(\d+)", out)
    if not m:
        log("dnsperf gave no rate:\n" + out[-600:])
        return None
    done = int(completed.group(1)) if completed else 0
    return {"qps": float(m.group(1)), "queries": done, "lost": int(lost.group(1)) if lost else 0,
            # the resolver's CPU per question when dnsperf, not the scanner, asks
            "resolver_ms_per_q": cpu * 1000 / done if done else None}


def lib_cost(world, kind, count, concurrency):
    """The client-side CPU (ms) per unit of bench/libcost.c, the scanner's libraries alone:
    kind "https" (one MTA-STS fetch through libcurl as daemon/http.c makes it), "starttls" (one
    STARTTLS session, OpenSSL, a shared context) or "dns" (one question through getdns in stub
    mode, AD bit, the scan's own questions: call it after dnsperf_limit); None when there is
    nothing to measure."""
    if kind == "dns":
        args = [questions_file(world), world.resolver, str(count), str(concurrency)]
    else:
        tg = load.https_targets(world.dir) if kind == "https" else load.smtp_targets(world.dir)
        if not tg:
            return None
        path = os.path.join(world.dir, "runs", "libcost-%s.txt" % kind)
        write(path, "".join("%s %s\n" % t for t in tg))
        args = [path] + ([world.p("pki", "ca.pem"), str(count), str(concurrency)]
                         if kind == "https" else [str(count)])
    out = run(nsx([LIBCOST, kind] + args), check=False)
    try:
        res = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        log("libcost %s gave no result: %s" % (kind, out[-400:]))
        return None
    if res["failed"]:
        log("libcost %s: %d of %d failed" % (kind, res["failed"], res["ok"] + res["failed"]))
    return res["cpu_ms_per"] if res["ok"] else None


def session_limit(world, kind, seconds, concurrency):
    """Concurrent sessions per second the world serves: kind "starttls" against its SMTP peers
    (all classes), "https" against its web server (MTA-STS policy fetches)."""
    out = run(nsx([PYTHON, os.path.join(BENCH, "load.py"), "--kind", kind, "--world", world.dir,
                   "--seconds", str(seconds), "--concurrency", str(concurrency),
                   "--processes", "2"]), check=False)
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        log("load.py --kind %s gave no result: %s" % (kind, out[-400:]))
        return None


def openssl_speed():
    """Unit costs on this machine (microseconds): ECDSA P-256 verify, sign; X25519 derive."""
    out = run(["openssl", "speed", "-seconds", "2", "ecdsap256", "ecdhx25519"], check=False)
    res = {}
    m = re.search(r"256 bits ecdsa \(nistp256\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)", out)
    if m:
        res["ecdsa_sign_us"] = 1e6 / float(m.group(1))
        res["ecdsa_verify_us"] = 1e6 / float(m.group(2))
    m = re.search(r"253 bits ecdh \(X25519\)\s+[\d.]+s\s+([\d.]+)", out)
    if m:
        res["x25519_us"] = 1e6 / float(m.group(1))
    return res


# ------------------------------------------------------------------------------ report

def floor_ms(r, speed):
    """The unavoidable crypto of a run, per domain (ms): every secure RRset's signature (an
    NXDOMAIN proof two, a NODATA proof one) plus the DNSKEY and DS of each signed zone; per TLS
    handshake the CertificateVerify and the chain signature (two ECDSA verifications) and an
    X25519 key pair and derivation (the same per HTTPS fetch); per domain with TLS one PKIX chain
    verification."""
    if not speed or not r["domains"]:
        return None
    v, x = speed.get("ecdsa_verify_us", 0), speed.get("x25519_us", 0)
    verifies = (r.get("secure_ok", 0) + r.get("secure_nodata", 0) +
                2 * r.get("secure_nxdomain", 0) + 2 * r.get("signed_domains", 0) +
                r.get("tls_domains", 0))
    us = verifies * v + (r.get("tls_probes", 0) + r.get("https_fetches", 0)) * (2 * v + 2 * x)
    return us / 1000 / r["domains"]


def library_floor(r, units):
    """Where a stub-upstream run's CPU per domain goes (ms): the validating resolver (all of
    it library: unbound), and the client libraries at what bench/libcost.c spends on each unit
    with the same options: every question mxsurvey sent (getdns), MTA-STS fetch (libcurl) and
    STARTTLS session (OpenSSL). The rest is mxsurvey's own work."""
    if r["mode"] != "stub-upstream" or not r["domains"]:
        return None
    n = r["domains"]
    parts = {"resolver": r["unbound_cpu"] * 1000 / n,
             "getdns": r["unbound_queries"] * (units.get("dns") or 0) / n,
             "libcurl": r["https_fetches"] * (units.get("https") or 0) / n,
             "openssl": r.get("tls_probes", 0) * (units.get("starttls") or 0) / n}
    parts["ms"] = sum(parts.values())
    parts["mxsurvey_own"] = r["cpu_ms_total"] - parts["ms"]
    parts["units"] = units
    return parts


def fmt_library_floor(r):
    f, u = r["library_floor"], r["library_floor"]["units"]
    unit = lambda k: "%.3f" % u[k] if u.get(k) else "-"    # noqa: E731
    return ("%s: libraries %.3f ms/domain (validating resolver %.3f; getdns %.3f at %s ms per "
            "question; libcurl %.3f at %s ms per MTA-STS fetch; OpenSSL %.3f at %s ms per "
            "STARTTLS session), mxsurvey's own work %.3f ms/domain: scanner cpu %.3f = %.2fx "
            "its libraries" % (
                r["tag"], f["ms"], f["resolver"], f["getdns"], unit("dns"), f["libcurl"],
                unit("https"), f["openssl"], unit("starttls"), f["mxsurvey_own"],
                r["cpu_ms_total"], r["cpu_ms_total"] / f["ms"] if f["ms"] else 0))


def floor_counted_ms(r, speed):
    """The crypto floor from the signature checks the run really made (the uprobe's count in
    the scanner and the resolver), each at openssl speed's unit cost, plus an X25519 key pair
    and derivation per TLS handshake as in floor_ms. A validating resolver checks each
    distinct RRset once (unbound keeps its status in the cache), so this is below the model
    wherever proofs repeat, as the NSEC records behind one domain's DKIM selectors do."""
    c = r.get("verifies") or {}
    if not speed or not r["domains"] or c.get("scanner") is None or (
            r["mode"] == "stub-upstream" and c.get("resolver") is None):
        return None
    v, x = speed.get("ecdsa_verify_us", 0), speed.get("x25519_us", 0)
    n = c["scanner"] + ((c.get("resolver") or 0) if r["mode"] == "stub-upstream" else 0)
    us = n * v + (r.get("tls_probes", 0) + r.get("https_fetches", 0)) * 2 * x
    return us / 1000 / r["domains"]


def fmt_floors(r):
    c = r.get("verifies") or {}
    text = "%s: crypto floor %.3f ms/domain (modelled); scanner cpu %.3f ms/domain = %.2fx it" % (
        r["tag"], r["floor_ms"], r["cpu_ms_total"], r["cpu_ms_total"] / r["floor_ms"])
    if r.get("floor_counted_ms"):
        text += ("; counted: %.3f ms/domain (ECDSA verifications per domain: scanner %.1f, "
                 "resolver %.1f) = %.2fx" % (
                     r["floor_counted_ms"], c["scanner"] / r["domains"],
                     (c.get("resolver") or 0) / r["domains"],
                     r["cpu_ms_total"] / r["floor_counted_ms"]))
    return text


def fmt_run(r):
    per = r.get("rss_per_flight_kb")
    return ("CRASHED (%s) " % r["crashed"] if r.get("crashed") else "") + (
        "STOPPED at %d of %d: " % (r["domains"], r["stopped_of"]) if r.get("stopped_of")
        else "") + ("%-13s %6d dom %6d fl %5s  %7.1f s %8.1f dom/s  cpu %6.3f ms/dom (+resolver %6.3f)"
            "  rss %6.1f MB%s  dns %7.0f q/s  smtp %6.1f/s  https %6.1f/s  dns err %d, "
            "deadline %d" % (
                r["mode"], r["domains"], r["in_flight"],
                "%dms" % r["delay_ms"] if r["delay_ms"] else "-", r["elapsed"], r["rate"],
                r["cpu_ms"], r["unbound_cpu"] * 1000 / r["domains"], r["rss_kb"] / 1024,
                " (%.1f KB/in-flight)" % per if per is not None else "",
                r.get("dns_questions", 0) / r["elapsed"],
                r.get("smtp_distinct", 0) / r["elapsed"], r["https_fetches"] / r["elapsed"],
                r.get("dns_timeouts", 0), r.get("deadline_hit", 0)))


def machine():
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"uname": " ".join(platform.uname()), "nproc": os.cpu_count(), "cpu": cpu,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], check=False)
            .strip()}


def markdown(runs, limits, speed, m, argv, world_info, label):
    out = ["", "## %s — `scripts/bench %s`" % (m["date"], " ".join(argv)), "",
           "Machine: `%s`, %s CPUs (%s); commit %s (working tree); scanner `%s`." % (
               m["uname"], m["nproc"], m["cpu"], m["commit"], os.path.relpath(SCANNER, REPO)
               if SCANNER.startswith(REPO) else SCANNER), ""]
    if label:
        out += [label, ""]
    for r in runs:
        if r.get("crashed"):
            out.append("**%s: the scanner died (%s) after %.1f s; its figures are not "
                       "results.**" % (r["tag"], r["crashed"], r["elapsed"]))
    out.append("")
    out.append("| mode | domains | in flight | delay | s | domains/s | scanner CPU ms/domain "
               "| + resolver | peak RSS MB | KB/in-flight | DNS q/s | resolver q/s | "
               "SMTP probes/s | probes saved by cache | HTTPS/s | DNS timeouts | deadline | "
               "crypto floor ms/domain |")
    out.append("|" + "---|" * 18)
    for r in runs:
        saved = (1 - r["smtp_distinct"] / r["smtp_refs"]) if r.get("smtp_refs") else None
        out.append("| %s | %s | %d | %s | %.1f | %.0f | %.3f | %.3f | %.1f | %s | %.0f | %.0f | "
                   "%.1f | %s | %.1f | %d | %d | %s |" % (
                       r["mode"], r["domains"] if not r.get("stopped_of") else
                       "%d (stopped; of %d)" % (r["domains"], r["stopped_of"]), r["in_flight"],
                       "%d ms (%s)" % (r["delay_ms"], r["delay_at"]) if r["delay_ms"] else "-",
                       r["elapsed"], r["rate"], r["cpu_ms"],
                       r["unbound_cpu"] * 1000 / r["domains"], r["rss_kb"] / 1024,
                       "%.1f" % r["rss_per_flight_kb"] if r.get("rss_per_flight_kb")
                       is not None else "-",
                       r.get("dns_questions", 0) / r["elapsed"],
                       r["unbound_queries"] / r["elapsed"],
                       r.get("smtp_distinct", 0) / r["elapsed"],
                       "%.1f %%" % (100 * saved) if saved is not None else "-",
                       r["https_fetches"] / r["elapsed"], r.get("dns_timeouts", 0),
                       r.get("deadline_hit", 0),
                       "%.3f" % r["floor_ms"] if r.get("floor_ms") is not None else "-"))
    out.append("")
    for lim in limits:
        out.append("- " + lim)
    if speed:
        out.append("- openssl speed: ECDSA P-256 verify %.1f µs, sign %.1f µs; X25519 %.1f µs"
                   % (speed.get("ecdsa_verify_us", 0), speed.get("ecdsa_sign_us", 0),
                      speed.get("x25519_us", 0)))
    for r in runs:
        if r.get("floor_ms"):
            out.append("- " + fmt_floors(r))
        if r.get("library_floor"):
            out.append("- " + fmt_library_floor(r))
    for w in world_info:
        out.append("- world %s/%d: %s" % (w["mix"], w["domains"], ", ".join(
            "%s %d" % kv for kv in w["counts"].items())))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n")[0])
    ap.add_argument("--domains", default="100000",
                    help="number of domains; a comma-separated list runs each (scaling)")
    ap.add_argument("--mix", choices=["realistic", "worst"], default="realistic")
    ap.add_argument("--delay-ms", type=int, default=0, help="added round-trip time (DNS, SMTP)")
    ap.add_argument("--delay-at", choices=["auth", "resolver"], default="auth",
                    help="DNS delay in front of the authoritative servers (default) or of the "
                         "resolver")
    ap.add_argument("--in-flight", default="1000", help="scan.max_in_flight; list allowed")
    ap.add_argument("--dns-mode", default="stub-upstream",
                    help="recursive, stub-getdns, stub-upstream, a list, or all")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--unbound-threads", type=int, default=2)
    ap.add_argument("--smtp-workers", type=int, default=2)
    ap.add_argument("--unbound-conf", action="append", default=[], metavar="LINE",
                    help="an extra line for the resolver's server: section (repeatable), "
                    "e.g. 'qname-minimisation: no'")
    ap.add_argument("--timeout", type=int, default=0,
                    help="seconds one scan may take (default: 300 + N/50)")
    ap.add_argument("--no-limits", action="store_true",
                    help="skip dnsperf and the STARTTLS and HTTPS loops")
    ap.add_argument("--scanner", default=os.path.join(REPO, "mxsurvey"),
                    help="the mxsurvey binary to measure (default ./mxsurvey)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a configuration override for the scanner (repeatable), e.g. "
                    "scan.dkim_probe_selectors=false")
    ap.add_argument("--label", default="", help="a note for RESULTS.md (e.g. what was patched)")
    ap.add_argument("--results", default=os.path.join(BENCH, "RESULTS.md"))
    ap.add_argument("--no-results", action="store_true", help="do not append to RESULTS.md")
    args = ap.parse_args()
    argv = []
    skip = False
    for a in sys.argv[1:]:                  # the label is printed on its own line
        if skip:
            skip = False
        elif a == "--label":
            skip = True
        elif not a.startswith("--label="):
            argv.append(a)
    if os.geteuid() != 0:
        print("bench: must run as root (network namespace)", file=sys.stderr)
        return 2
    try:
        sizes = [int(x) for x in args.domains.split(",")]
        flights = [int(x) for x in args.in_flight.split(",")]
    except ValueError:
        ap.error("--domains and --in-flight take numbers")
    modes = list(MODES) if args.dns_mode == "all" else args.dns_mode.split(",")
    for m in modes:
        if m not in MODES:
            ap.error("unknown --dns-mode %s" % m)
    global SCANNER, SCANNER_SET
    SCANNER = os.path.abspath(args.scanner)
    SCANNER_SET = args.set
    if not os.access(SCANNER, os.X_OK):
        print("bench: %s is not built (make)" % SCANNER, file=sys.stderr)
        return 2
    os.makedirs(RUN, exist_ok=True)
    src, binary = os.path.join(BENCH, "dnsdelay.c"), os.path.join(RUN, "dnsdelay")
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(src):
        run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", binary, src, "-levent"])
    srcs = [os.path.join(BENCH, "libcost.c"), os.path.join(REPO, "common", "xalloc.c")]
    if not os.path.exists(LIBCOST) or os.path.getmtime(LIBCOST) < max(map(os.path.getmtime,
                                                                           srcs)):
        run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-I", REPO,
             "-o", LIBCOST] + srcs + ["-lcurl", "-lssl", "-lcrypto", "-lgetdns"])
    runs, limits, worlds = [], [], []
    speed = {}
    world = None

    def stop(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    if not args.no_limits:
        speed = openssl_speed()         # before the world is up: an idle machine
        verify_probe_add()
    try:
        for n in sizes:
            wdir = os.path.join(RUN, "world-%s-%d" % (args.mix, n))
            rc = subprocess.run([PYTHON, os.path.join(BENCH, "world.py"), "gen", "--domains",
                                 str(n), "--mix", args.mix, "--seed", str(args.seed), "--out",
                                 wdir], stdout=sys.stderr).returncode
            if rc != 0:
                raise BenchError("world generation failed")
            world = World(wdir, args.delay_ms, args.delay_at, args.unbound_threads,
                          args.smtp_workers, args.unbound_conf)
            worlds.append(world.info)
            world.up()
            base_rss = {}
            last = None
            first = len(runs)
            for mode in modes:
                if mode not in base_rss:
                    base_rss[mode] = baseline_rss(world, mode)
                for k in flights:
                    tag = "%s-%d-%d" % (mode, n, k)
                    timeout = args.timeout or int(300 + n / 50)
                    log("scan %s: %d domains, %d in flight, %s" % (tag, n, k, mode))
                    r = scan(world, mode, k, world.p("domains.txt"), n, timeout, tag)
                    if base_rss[mode]:
                        r["rss_base_kb"] = base_rss[mode]
                        r["rss_per_flight_kb"] = max(0, r["rss_kb"] - base_rss[mode]) / min(k, n)
                    r["floor_ms"] = floor_ms(r, speed)
                    r["floor_counted_ms"] = floor_counted_ms(r, speed)
                    runs.append(r)
                    last = r
                    print(fmt_run(r), flush=True)
            if not args.no_limits and last is not None:
                dl = dnsperf_limit(world, last["db"], 30, 2000000)
                units = {"dns": lib_cost(world, "dns", 50000, 100) if dl else None,
                         "https": lib_cost(world, "https", 1000, 100)
                         if last["https_fetches"] else None,
                         "starttls": lib_cost(world, "starttls", 200, 1)}
                for r in runs[first:]:
                    r["library_floor"] = library_floor(r, units)
                if dl:
                    q = last.get("dns_questions", 0) / last["elapsed"]
                    limits.append("DNS limit (%d domains): dnsperf against the world's resolver "
                                  "(cold cache, the scan's own %d questions, DO bit): %.0f q/s "
                                  "(%d lost); mxsurvey asked %.0f q/s = %.0f %% of it (%s); "
                                  "the resolver spent %.3f ms per domain's questions (%.3f "
                                  "when the scanner asked them)" % (
                                      n, dl["queries"], dl["qps"], dl["lost"], q,
                                      100 * q / dl["qps"], last["mode"],
                                      (dl["resolver_ms_per_q"] or 0) *
                                      last.get("dns_questions", 0) / last["domains"],
                                      last["unbound_cpu"] * 1000 / last["domains"]))
                sl = session_limit(world, "starttls", 15, 200)
                if sl:
                    p = last.get("smtp_distinct", 0) / last["elapsed"]
                    limits.append("SMTP limit (%d domains): %d concurrent STARTTLS sessions "
                                  "(banner, EHLO, STARTTLS, handshake, EHLO, QUIT) against the "
                                  "world's peers: %.0f sessions/s; mxsurvey probed %.1f/s = "
                                  "%.1f %% of it" % (n, sl["concurrency"], sl["rate"], p,
                                                     100 * p / sl["rate"] if sl["rate"] else 0))
                hl = session_limit(world, "https", 15, 200) if last["https_fetches"] else None
                if hl:
                    f = last["https_fetches"] / last["elapsed"]
                    limits.append("HTTPS limit (%d domains): %d concurrent MTA-STS policy "
                                  "fetches (handshake with the policy host's name, GET, the "
                                  "reply) against the world's web server: %.0f fetches/s; "
                                  "mxsurvey fetched %.1f/s = %.1f %% of it" % (
                                      n, hl["concurrency"], hl["rate"], f,
                                      100 * f / hl["rate"] if hl["rate"] else 0))
            world.down()
            world = None
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except BenchError as e:
        log("FAILED: " + str(e))
        return 1
    finally:
        if world is not None:
            world.down()
        ns_down()
        verify_probe_del()
    for lim in limits:
        print(lim)
    if speed:
        print("openssl speed: ECDSA P-256 verify %.1f us, sign %.1f us, X25519 %.1f us" % (
            speed.get("ecdsa_verify_us", 0), speed.get("ecdsa_sign_us", 0),
            speed.get("x25519_us", 0)))
    for r in runs:
        if r.get("floor_ms"):
            print(fmt_floors(r))
        if r.get("library_floor"):
            print(fmt_library_floor(r))
        v = r.get("verdicts", {})
        share = lambda c: 100.0 * v.get(c, {}).get("pass", 0) / max(1, r["results"])  # noqa
        print("%s: pass shares: %s" % (r["tag"], ", ".join(
            "%s %.1f%%" % (c, share(c)) for c in sorted(v))))
    if not args.no_results and runs:
        with open(args.results, "a") as f:
            f.write(markdown(runs, limits, speed, machine(), argv, worlds, args.label))
        print("bench: figures appended to %s" % os.path.relpath(args.results, REPO))
    if not runs:
        log("no run completed")
        return 1
    r = runs[-1]
    print("bench: %d domains in %.1f s = %.0f domains/s, scanner cpu %.3f ms/domain, "
          "peak rss %.0f MB" % (r["domains"], r["elapsed"], r["rate"], r["cpu_ms_total"],
                                r["rss_kb"] / 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
