"""Adds one measured point to a result file (format: RESULTS.md in the lab folder).

usage: python3 record.py FILE SERIES_ID DATAPATH BACKEND LABEL POINT_JSON
The file is created if missing; a point for an n the series already has replaces it, so a
re-run updates rather than duplicates. Written to a temp file and renamed: never half-written.
"""
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone

path, sid, datapath, backend, label, point = sys.argv[1:7]
point = json.loads(point)

METRICS = [
    {"key": "restoreMs", "label": "Install all services at once", "unit": "ms"},
    {"key": "addOneMs", "label": "Add one service", "unit": "ms"},
    {"key": "latencyFirstUs", "label": "Connect + GET, first service (median)", "unit": "us"},
    {"key": "latencyLastUs", "label": "Connect + GET, last service (median)", "unit": "us"},
]

doc = None
if os.path.exists(path):
    with open(path) as f:
        try:
            doc = json.load(f)
        except ValueError:
            os.replace(path, path + ".broken")  # keep it for the learner, start afresh
if not isinstance(doc, dict) or doc.get("format") != "ebpf-lab.results/v1":
    doc = {"format": "ebpf-lab.results/v1", "title": "iptables vs eBPF: cost against the number of services",
           "x": {"key": "n", "label": "services", "scale": "log"}, "metrics": METRICS, "series": []}

series = next((s for s in doc["series"] if s.get("id") == sid), None)
if series is None:
    series = {"id": sid, "label": label, "datapath": datapath, "backend": backend, "points": []}
    doc["series"].append(series)
series["points"] = sorted([p for p in series["points"] if p.get("n") != point["n"]] + [point], key=lambda p: p["n"])

ipt = subprocess.run(["iptables", "--version"], capture_output=True, text=True).stdout.strip()
doc["env"] = {"kernel": platform.release(), "cpus": os.cpu_count(), "iptables": ipt}
doc["updatedAt"] = datetime.now(timezone.utc).isoformat(timespec="seconds")

os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
with open(path + ".tmp", "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
