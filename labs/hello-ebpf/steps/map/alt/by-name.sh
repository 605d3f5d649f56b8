# the lesson's own command: dump by name (with other hello labs up it holds every exec_count)
set -eu
bpftool -j map dump name exec_count > exec-count.json
