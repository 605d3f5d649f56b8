"""First-packet latency: time a fresh TCP connect + HTTP GET + full reply, many times.

usage: python3 latency.py SAMPLES VIP:PORT [VIP:PORT...]
Targets are measured in turns (a, b, a, b, ...) so drift hits all of them alike. Prints one JSON
object {target: {"medianUs", "p10Us", "p90Us", "samples", "errors"}}; exits 1 if a target never
answered. Every sample is a new connection, so every sample pays the connect-time datapath:
the NAT table walk for iptables, the map lookup for svclb.
"""
import json
import socket
import statistics
import sys
import time

samples = int(sys.argv[1])
targets = sys.argv[2:]


def once(host, port):
    t0 = time.perf_counter_ns()
    with socket.create_connection((host, port), timeout=2) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n")
        while s.recv(4096):
            pass
    return (time.perf_counter_ns() - t0) / 1000


times = {t: [] for t in targets}
errors = {t: 0 for t in targets}
for i in range(samples + 10):
    for t in targets:
        host, port = t.rsplit(":", 1)
        try:
            us = once(host, int(port))
        except OSError:
            errors[t] += 1
            continue
        if i >= 10:  # the first rounds warm caches and the Python code path
            times[t].append(us)

out = {}
for t in targets:
    v = sorted(times[t])
    q = lambda p: round(v[min(len(v) - 1, int(p * len(v)))], 1) if v else None
    out[t] = {"medianUs": round(statistics.median(v), 1) if v else None, "p10Us": q(0.1), "p90Us": q(0.9),
              "samples": len(v), "errors": errors[t]}
print(json.dumps(out))
sys.exit(0 if all(times.values()) else 1)
