#!/usr/bin/env python3
"""Print kube-proxy-style iptables NAT rules (iptables-restore format) for N ClusterIP services.

A miniature of what kube-proxy's iptables mode writes: every service gets one rule in
KUBE-SERVICES, a KUBE-SVC-<hash> chain that picks an endpoint with `-m statistic --mode random`,
and one KUBE-SEP-<hash> chain per endpoint that DNATs to it. Service i (1-based) is
default/svc-<i> with ClusterIP <net>.x.y (see vip()) on port 80; all services share the
lab's backends.

  ./kube-rules.py --n 100 > rules.txt           full nat table, for iptables-restore
  iptables-nft-restore < rules.txt              (or iptables-legacy-restore)
  ./kube-rules.py --n 101 --sync-only 101       what a partial sync sends when svc-101 is added
                                                (apply with iptables-restore --noflush)
  ./kube-rules.py --n 100 --svclb               the same services as `svclb apply` lines
"""
import argparse
import base64
import hashlib
import os
import sys

CLUSTER_CIDR = "172.16.0.0/16"  # the lab's pod network: traffic from outside it is masqueraded
HERE = os.path.dirname(os.path.abspath(__file__))


def vip(net: str, i: int) -> str:
    """ClusterIP of service i: <net>.0.11 for i=1, counting up through the /16."""
    idx = i + 10
    return f"{net}.{idx >> 8}.{idx & 255}"


def chain(prefix: str, text: str) -> str:
    # kube-proxy names chains after a hash of what they stand for: sha256, base32, 16 chars.
    digest = hashlib.sha256(text.encode()).digest()
    return f"{prefix}-{base64.b32encode(digest).decode()[:16]}"


def service(net: str, i: int, backends: list[str]):
    name = f"default/svc-{i}:http"
    ip = vip(net, i)
    svc = chain("KUBE-SVC", name + "tcp")
    seps = [(chain("KUBE-SEP", name + "tcp" + be), be) for be in backends]
    top = f'-A KUBE-SERVICES -d {ip}/32 -p tcp -m comment --comment "{name} cluster IP" -m tcp --dport 80 -j {svc}'
    rules = [f'-A {svc} ! -s {CLUSTER_CIDR} -d {ip}/32 -p tcp -m comment --comment "{name} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ']
    for k, (sep, be) in enumerate(seps):
        left = len(seps) - k
        # Endpoint k of n is taken with probability 1/(n-k) among those not taken yet: uniform overall.
        pick = f" -m statistic --mode random --probability {1 / left:.11f}" if left > 1 else ""
        rules.append(f'-A {svc} -m comment --comment "{name} -> {be}"{pick} -j {sep}')
    for sep, be in seps:
        rules.append(f'-A {sep} -s {be.split(":")[0]}/32 -m comment --comment "{name}" -j KUBE-MARK-MASQ')
        rules.append(f'-A {sep} -p tcp -m comment --comment "{name}" -m tcp -j DNAT --to-destination {be}')
    return top, [svc] + [s for s, _ in seps], rules


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, required=True, help="number of services")
    ap.add_argument("--net", default="10.96", help="first two octets of the ClusterIP range (default 10.96)")
    ap.add_argument("--backends", help="comma-separated IP:PORT list (default: the lab's backend pods)")
    ap.add_argument("--sync-only", type=int, metavar="I",
                    help="print only what a partial sync sends when service I changed: the whole KUBE-SERVICES chain plus I's chains")
    ap.add_argument("--svclb", action="store_true", help="print `svclb apply` lines instead of iptables rules")
    a = ap.parse_args()
    if a.backends:
        backends = a.backends.split(",")
    else:
        with open(os.path.join(HERE, ".lab", "backends")) as f:
            backends = f.read().split()
    if a.n < 0 or a.n > 60000:
        ap.error("--n must be between 0 and 60000")
    out = []
    if a.svclb:
        out = [f"add {vip(a.net, i)}:80 {' '.join(backends)}" for i in range(1, a.n + 1)]
        sys.stdout.write("\n".join(out) + ("\n" if out else ""))
        return 0
    tops, chains, rules = [], [], []
    for i in range(1, a.n + 1):
        top, own, r = service(a.net, i, backends)
        tops.append(top)
        if a.sync_only is None or a.sync_only == i:
            chains += own
            rules += r
    out.append("*nat")
    if a.sync_only is None:
        # A full restore replaces the whole table, built-in chains included.
        out += [f":{c} ACCEPT [0:0]" for c in ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")]
        out += [":KUBE-POSTROUTING - [0:0]", ":KUBE-MARK-MASQ - [0:0]", ":KUBE-NODEPORTS - [0:0]"]
    # Declaring a chain in a --noflush restore empties it: KUBE-SERVICES is rewritten every time.
    out += [":KUBE-SERVICES - [0:0]"] + [f":{c} - [0:0]" for c in chains]
    if a.sync_only is None:
        out += [
            '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
            "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
            "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
            "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
            '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
        ]
    out += tops
    out.append('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    out += rules
    out.append("COMMIT")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
