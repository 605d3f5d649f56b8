#!/usr/bin/env bash
# Installs what eBPF Lab needs on a fresh Debian 12 machine and builds it. Idempotent.
# usage: sudo scripts/setup.sh [--with-tests]   (--with-tests adds chromium, docker.io, vagrant, vagrant-libvirt, libvirt, debootstrap)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root setup.sh "$@"
cd "$REPO"

PKGS=(clang llvm libbpf-dev bpftool bpftrace iproute2 iptables make gcc pkg-config libelf-dev zlib1g-dev
      util-linux procps curl iputils-ping python3 g++ strace tcpdump)
[ "${1:-}" = --with-tests ] && PKGS+=(chromium fonts-noto-cjk docker.io vagrant debootstrap openssh-client rsync tmux
                                     qemu-system-x86 qemu-utils e2fsprogs cpio kmod
                                     vagrant-libvirt libvirt-daemon-system libvirt-clients dnsmasq-base)

missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing Debian packages: ${missing[*]}"
  command -v apt-get >/dev/null || die "apt-get not found: this script targets Debian 12; install these yourself: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages: all ${#PKGS[@]} present"
fi

say "Mounting bpffs and tracefs on the host if they are not (each lab also mounts its own)"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing || true

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || die "Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none)); apt-get install nodejs from NodeSource or use nvm"

stamp=node_modules/.ebpf-lab-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "Installing npm dependencies (npm ci; builds node-pty and better-sqlite3 natively, ~2 min on 2 cores)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  say "npm dependencies: up to date with package-lock.json"
fi

say "Building labd and the lab CLI into JavaScript (apps/labd/dist; ~1 s) and the terminal handoff addon (apps/labd/native/pidfd.node)"
node apps/labd/bin/build.mjs

say "Building the eBPF programs (bpf/)"
make -s -C bpf
say "Setup done"
