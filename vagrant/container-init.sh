#!/bin/sh
# Command of the docker-provider lab container (installed in the image as
# /usr/local/sbin/ebpf-lab-init by scripts/build-vagrant-image.sh).
# Mounts what BPF tools expect and that docker does not provide, gives this
# container its own SSH host keys, then execs its arguments (sshd -D -e) so
# sshd runs in the foreground as PID 1 and the container lives as long as it.
# A failed mount is reported, not fatal: sshd must come up either way so the
# lab can say which capability is missing.
set -u

say() { echo "ebpf-lab-init: $*"; }

mount_fs() { # type target
  [ -d "$2" ] || { say "skip $1: $2 does not exist"; return 0; }
  if mountpoint -q "$2"; then
    say "$2 already mounted"
  elif mount -t "$1" "$1" "$2"; then
    say "mounted $1 on $2"
  else
    say "WARNING: cannot mount $1 on $2 (missing CAP_SYS_ADMIN?)"
  fi
}

# A fresh bpffs per container: pins of one lab are invisible to others.
mount_fs bpf /sys/fs/bpf
# Tracepoints and the trace pipe (bpftrace, bpf_printk output).
mount_fs tracefs /sys/kernel/tracing
mount_fs debugfs /sys/kernel/debug

# Host keys are made per container, never baked into the shared image.
# Ed25519 and ECDSA only: an RSA key takes over a second to make, and every
# client involved (OpenSSH, Vagrant's net-ssh) speaks one of these two.
for t in ed25519 ecdsa; do
  [ -f "/etc/ssh/ssh_host_${t}_key" ] || ssh-keygen -q -t "$t" -N '' -f "/etc/ssh/ssh_host_${t}_key"
done

# The lab driver may hand in its own public key (docker run -e), so Vagrant
# need not swap out the insecure key on every `up` (about 4 s).
if [ -n "${LAB_AUTHORIZED_KEY:-}" ]; then
  home=$(getent passwd vagrant | cut -d: -f6)
  printf '%s\n' "$LAB_AUTHORIZED_KEY" >"$home/.ssh/authorized_keys"
  chown vagrant: "$home/.ssh/authorized_keys"
  chmod 0600 "$home/.ssh/authorized_keys"
  say "authorized the key from LAB_AUTHORIZED_KEY for vagrant"
fi
unset LAB_AUTHORIZED_KEY
mkdir -p /run/sshd
chmod 0755 /run/sshd

[ "$#" -gt 0 ] || set -- /usr/sbin/sshd -D -e
say "exec $*"
exec "$@"
