# Build the loader, attach at cgroup/connect4 of the lab cgroup, and add svc-1: one map write.
set -eu
make -s -C bpf svclb
./bpf/.output/svclb attach --cgroup /sys/fs/cgroup
./bpf/.output/svclb add 10.96.0.11:80 $(cat .lab/backends)
