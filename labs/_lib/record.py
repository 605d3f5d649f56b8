"""Adds one measured point to a result file (format ebpf-lab.results/v1, see
labs/iptables-vs-ebpf/RESULTS.md). Shared by the labs that measure (lab.yaml `lib: [record.py]`
puts it at .lab/record.py in the workdir, on every driver).

usage: python3 .lab/record.py FILE DOC_JSON POINT_JSON series.id=ID [series.KEY=VALUE ...] [env.KEY=VALUE ...]
  DOC_JSON  what the lab measures: {"title", "x": {"key", ...}, "metrics": [...]}
  series.*  fields of the series the point belongs to (a new series gets them, in this order)
  env.*     facts about the machine besides the kernel and CPU count, e.g. env.iptables="..."
The file is created if missing; a point with an x the series already has replaces it, so a re-run
updates rather than duplicates. Written to a temp file and renamed: never half-written.
"""
import json
import os
import platform
import sys
from datetime import datetime, timezone

if len(sys.argv) < 5:
    sys.exit(__doc__)
path, desc, point = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
fields = {"series": {}, "env": {}}
for arg in sys.argv[4:]:
    key, sep, value = arg.partition("=")
    group, dot, name = key.partition(".")
    if not sep or not dot or group not in fields:
        sys.exit(f"record.py: {arg!r} is not series.KEY=VALUE or env.KEY=VALUE")
    fields[group][name] = value
sid = fields["series"].get("id")
if not sid:
    sys.exit("record.py: series.id=ID is missing")
xkey = desc["x"]["key"]

doc = None
if os.path.exists(path):
    with open(path) as f:
        try:
            doc = json.load(f)
        except ValueError:
            os.replace(path, path + ".broken")  # keep it for the learner, start afresh
if not isinstance(doc, dict) or doc.get("format") != "ebpf-lab.results/v1":
    doc = {"format": "ebpf-lab.results/v1", "title": desc["title"], "x": desc["x"], "metrics": desc["metrics"], "series": []}

series = next((s for s in doc["series"] if s.get("id") == sid), None)
if series is None:
    series = {**fields["series"], "points": []}
    doc["series"].append(series)
series["points"] = sorted([p for p in series["points"] if p.get(xkey) != point[xkey]] + [point], key=lambda p: p[xkey])

doc["env"] = {"kernel": platform.release(), "cpus": os.cpu_count(), **fields["env"]}
doc["updatedAt"] = datetime.now(timezone.utc).isoformat(timespec="seconds")

os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
with open(path + ".tmp", "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
