"""Adds one measured point to results/xdp.json (format ebpf-lab.results/v1, see
labs/iptables-vs-ebpf/RESULTS.md). usage: python3 record.py FILE DATAPATH LABEL POINT_JSON
A point for a payload size the series already has replaces it, so a re-run updates rather than
duplicates. Written to a temp file and renamed: never half-written.
"""
import json
import os
import platform
import sys
from datetime import datetime, timezone

path, datapath, label, point = sys.argv[1:5]
point = json.loads(point)
METRICS = [
    {"key": "droppedPps", "label": "Packets dropped per second", "unit": "pps"},
    {"key": "sentPps", "label": "Packets the flood sent per second", "unit": "pps"},
]

doc = None
if os.path.exists(path):
    with open(path) as f:
        try:
            doc = json.load(f)
        except ValueError:
            os.replace(path, path + ".broken")  # keep it for the learner, start afresh
if not isinstance(doc, dict) or doc.get("format") != "ebpf-lab.results/v1":
    doc = {"format": "ebpf-lab.results/v1", "title": "Dropping a UDP flood: XDP, tc and iptables",
           "x": {"key": "size", "label": "UDP payload (bytes)", "scale": "linear"}, "metrics": METRICS, "series": []}

series = next((s for s in doc["series"] if s.get("id") == datapath), None)
if series is None:
    series = {"id": datapath, "label": label, "datapath": datapath, "points": []}
    doc["series"].append(series)
series["points"] = sorted([p for p in series["points"] if p.get("size") != point["size"]] + [point], key=lambda p: p["size"])

doc["env"] = {"kernel": platform.release(), "cpus": os.cpu_count(), "interface": "veth (native veth XDP, not a NIC driver)"}
doc["updatedAt"] = datetime.now(timezone.utc).isoformat(timespec="seconds")

os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
with open(path + ".tmp", "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
