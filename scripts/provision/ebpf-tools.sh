#!/usr/bin/env bash
# Installs the eBPF toolchain every lab expects: clang/llvm, libbpf headers,
# bpftool, bpftrace, BCC tools, kernel headers where the archive has them, and
# the networking/build basics the labs call. Idempotent; rerunning only checks.
# Used by the Vagrant VM (Ubuntu 24.04) and the CI image (Debian 12 chroot).
set -euo pipefail
PROVISION_STEP=ebpf-tools
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$(readlink -f "$0")")/common.sh"

require_root
load_os
log "distribution: $OS_ID $OS_VERSION_ID ($OS_CODENAME), kernel $(uname -r)"

apt_install \
  clang llvm libbpf-dev bpftrace bpfcc-tools \
  make gcc libc6-dev libelf-dev zlib1g-dev pkg-config \
  iproute2 iptables iputils-ping curl ca-certificates jq procps less strace tcpdump

install_bpftool() {
  if [ "$OS_ID" = ubuntu ]; then
    # Ubuntu ships bpftool inside the kernel tools: linux-tools-common holds a
    # /usr/sbin/bpftool wrapper that runs /usr/lib/linux-tools/$(uname -r)/bpftool.
    apt_install linux-tools-common
    local kpkg
    kpkg="linux-tools-$(uname -r)"
    if apt_has_candidate "$kpkg"; then
      apt_install "$kpkg"
    else
      log "$kpkg not in the archive (custom or foreign kernel): using linux-tools-generic"
      apt_install linux-tools-generic
    fi
  else
    apt_install bpftool
  fi
  if ! bpftool version >/dev/null 2>&1; then
    # The Ubuntu wrapper refuses to run when no tools match the running kernel
    # (e.g. inside a container); any built bpftool works on any kernel.
    local found
    found=$(find /usr/lib/linux-tools -name bpftool -type f 2>/dev/null | sort -V | tail -n1 || true)
    [ -n "$found" ] || die "bpftool installed but not runnable and no fallback binary found"
    log "bpftool wrapper does not match kernel $(uname -r); linking $found"
    ln -sf "$found" /usr/local/sbin/bpftool
  fi
}
install_bpftool

# Headers for the running kernel: BCC compiles against them. CO-RE programs
# only need /sys/kernel/btf/vmlinux, so a missing package is not an error.
headers="linux-headers-$(uname -r)"
if is_installed "$headers"; then
  log "already installed: $headers"
elif apt_has_candidate "$headers"; then
  apt_install "$headers"
else
  log "skipped: $headers is not in the archive (kernel not from this distribution); CO-RE uses BTF instead"
fi

log "clang:    $(clang --version | head -n1)"
log "bpftool:  $(bpftool version | head -n1)"
log "bpftrace: $(bpftrace --version 2>&1 | head -n1)"
log "done"
