#!/bin/bash
# PID 1 of a vm-driver guest (installed as /usr/local/sbin/ebpf-lab-vm-init by
# scripts/build-vm-image.sh; the initramfs switches to it). No systemd: under TCG every exec is
# ~30x slower than on the host, so this does the least a lab needs and starts sshd, the one
# channel labd uses. Kernel command line parameters it reads:
#   elab.name=NAME   hostname (the instance prefix el<id>)
#   elab.key=B64     base64 of the OpenSSH public key authorized for root (per instance)
# Says "ebpf-lab-vm: ready" on the console once sshd listens; the driver waits for that line.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
say() { echo "ebpf-lab-vm: $*" >/dev/console 2>/dev/null || echo "ebpf-lab-vm: $*"; }
mnt() { # type target [options]
  mkdir -p "$2"
  mountpoint -q "$2" || mount -t "$1" ${3:+-o "$3"} "$1" "$2" || say "WARNING: cannot mount $1 on $2"
}

mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mnt devpts /dev/pts gid=5,mode=620,ptmxmode=666
mnt tmpfs /dev/shm
mnt tmpfs /run mode=0755
mnt cgroup2 /sys/fs/cgroup
mnt bpf /sys/fs/bpf
mnt tracefs /sys/kernel/tracing
mnt debugfs /sys/kernel/debug
ln -sf /proc/self/fd /dev/fd 2>/dev/null

arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
name=$(arg elab.name)
hostname "${name:-ebpf-lab-vm}"

# User-mode networking (slirp, restrict=on): the guest is 10.0.2.15 and reaches nothing but
# what the host forwards to it. No udev here, so the NIC driver is loaded by hand.
# As a Vagrant box (vagrant-libvirt, built by build-vm-image.sh --vagrant-box) the kernel command
# line says instead:
#   elab.net=dhcp           eth0 is on libvirt's management network; Vagrant finds the guest by
#                           its DHCP lease, so the address must come from there
#   elab.addr=IF:IP/LEN     a static address (the private network of a multi-machine cluster)
#   elab.routes=CIDR@GW,... routes over it (each node's pod CIDR via that node), and forwarding on
modprobe virtio_net 2>/dev/null
ip link set lo up
if [ "$(arg elab.net)" = dhcp ]; then
  cat >/run/ebpf-lab-udhcpc <<'SCRIPT'
#!/bin/sh
case "$1" in
  bound|renew) ;;
  # Said on the console (kept when a lab up fails; the CI stage counts them): a starved guest.
  leasefail) echo "ebpf-lab-vm: DHCP: no lease on $interface yet, trying again" >/dev/console; exit 0 ;;
  *) exit 0 ;;
esac
ip addr flush dev "$interface"
ip addr add "$ip/${mask:-24}" dev "$interface"
[ -z "$router" ] || ip route replace default via "${router%% *}" dev "$interface"
SCRIPT
  chmod 0755 /run/ebpf-lab-udhcpc
  ip link set eth0 up
  # Never give up (-b, not -n): busybox udhcpc counts a lease as failed when its 3 REQUESTs, 2 s
  # apart, see no ACK. Three TCG guests booting on two busy cores miss that window now and then,
  # while libvirt's dnsmasq has already sent the ACK and recorded the lease; Vagrant then took
  # that address and waited for SSH on it until boot_timeout, and the guest never had it (no ARP
  # answer). With -b udhcpc forks into the background and starts over after -A seconds, gets the
  # same address for the same MAC, and Vagrant's boot_timeout stays the one bound. It forks into
  # the background (renewing the lease) once it holds one, too.
  busybox udhcpc -i eth0 -s /run/ebpf-lab-udhcpc -t 30 -T 2 -A 3 -b >/dev/null 2>&1 ||
    say "WARNING: udhcpc failed to start on eth0"
else
  ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 ||
    say "WARNING: no network on eth0"
fi
addr=$(arg elab.addr)
if [ -n "$addr" ]; then
  ip link set "${addr%%:*}" up && ip addr add "${addr#*:}" dev "${addr%%:*}" || say "WARNING: cannot put ${addr#*:} on ${addr%%:*}"
fi
routes=$(arg elab.routes)
if [ -n "$routes" ]; then
  sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  for r in ${routes//,/ }; do ip route replace "${r%@*}" via "${r#*@}" || say "WARNING: no route ${r%@*} via ${r#*@}"; done
fi
# The overlay may be larger than the base image: grow the filesystem to it, in the background.
resize2fs /dev/vda >/dev/null 2>&1 &

key=$(arg elab.key)
if [ -n "$key" ]; then
  install -d -m 0700 /root/.ssh
  echo "$key" | base64 -d >/root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys
else
  say "WARNING: no elab.key on the kernel command line: nobody can log in"
fi
# A host key per boot (Ed25519 takes milliseconds), announced on the console below.
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
mkdir -p /run/sshd && chmod 0755 /run/sshd
if /usr/sbin/sshd -o HostKey=/etc/ssh/ssh_host_ed25519_key; then
  # The console is private to the host's root (a file QEMU writes): the driver pins this key.
  say "hostkey $(cut -d' ' -f1-2 /etc/ssh/ssh_host_ed25519_key.pub)"
  say ready
else
  say "ERROR: sshd did not start"
fi

# PID 1 reaps every orphan: bash's SIGCHLD handler waits for any child, known or not.
while :; do sleep 5; done
