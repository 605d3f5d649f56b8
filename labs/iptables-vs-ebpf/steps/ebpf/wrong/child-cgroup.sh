# Wrong cgroup: attaches svclb to a new child cgroup that none of the lab's shells (or the check) runs in.
set -eu
make -s -C bpf svclb
mkdir -p /sys/fs/cgroup/svclb-test
./bpf/.output/svclb attach --cgroup /sys/fs/cgroup/svclb-test
./bpf/.output/svclb add 10.96.0.11:80 $(cat .lab/backends)
