# Another way to fill the map: kube-rules.py's --svclb output for svc-1, loaded with `svclb apply`.
set -eu
make -s -C bpf svclb
./bpf/.output/svclb attach --cgroup /sys/fs/cgroup
./kube-rules.py --n 1 --svclb > svc1.svclb
./bpf/.output/svclb apply svc1.svclb
