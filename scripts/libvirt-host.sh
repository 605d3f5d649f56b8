#!/usr/bin/env bash
# libvirt on a host without systemd, for the vagrant driver's libvirt provider (CI stage
# vagrant-libvirt), leaving the host as it was found.
#   start    records the host's state (daemons running, LIBVIRT_* iptables chains, forwarding
#            sysctls) in $STATE, starts virtlogd and libvirtd (-d, not -l: no socket activation
#            here) unless they run, defines the storage pool elab-pool and puts our boxes' images
#            in it (hard links: vagrant then uploads nothing)
#   cleanup  removes every libvirt object named elab-* (domains, their volumes, networks, the
#            pool), stops the daemons it started, deletes the LIBVIRT_* chains that were not
#            there before and restores the sysctls. Safe to run twice, and after a crash.
#   check    exits 1, saying what, if anything of ours is left or the host differs from $STATE
# usage: sudo scripts/libvirt-host.sh start|cleanup|check   (STATE: $LIBVIRT_HOST_STATE,
#        default /run/ebpf-lab-libvirt-host)
set -uo pipefail
STATE=${LIBVIRT_HOST_STATE:-/run/ebpf-lab-libvirt-host}
POOL=elab-pool POOL_DIR=${LAB_CACHE_DIR:-/var/cache/ebpf-lab}/libvirt-pool
VAGRANT_HOME=${VAGRANT_HOME:-${LAB_CACHE_DIR:-/var/cache/ebpf-lab}/vagrant.d}
SYSCTLS=(net.ipv4.ip_forward net.ipv6.conf.all.forwarding)
TABLES=(filter nat mangle)
export LIBVIRT_DEFAULT_URI=qemu:///system
log() { printf 'libvirt-host: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root: sudo $0 $*"

chains() { local t; for t in "${TABLES[@]}"; do iptables -t "$t" -S 2>/dev/null | awk -v t="$t" '$1 == "-N" && $2 ~ /^LIBVIRT_/ { print t, $2 }'; done; }
sysctls() { local s; for s in "${SYSCTLS[@]}"; do echo "$s $(sysctl -n "$s" 2>/dev/null)"; done; }
running() { pgrep -x "$1" >/dev/null; }
ours() { virsh "$1" --all --name 2>/dev/null | grep '^elab-' || true; }
snapshot() { running libvirtd && echo "libvirtd running"; running virtlogd && echo "virtlogd running"; chains | sed 's/^/chain /'; sysctls | sed 's/^/sysctl /'; }

start() {
  if [ ! -f "$STATE" ]; then
    snapshot >"$STATE.tmp" && mv "$STATE.tmp" "$STATE"
  fi
  command -v libvirtd >/dev/null || die "libvirtd not found: apt-get install libvirt-daemon-system libvirt-clients"
  running virtlogd || virtlogd -d || die "virtlogd -d failed"
  running libvirtd || start_libvirtd || die "libvirtd -d failed"
  local i
  for i in $(seq 60); do virsh version >/dev/null 2>&1 && break; sleep 0.5; done
  virsh version >/dev/null 2>&1 || die "libvirtd does not answer on $LIBVIRT_DEFAULT_URI"
  if ! virsh pool-info "$POOL" >/dev/null 2>&1; then
    mkdir -p "$POOL_DIR"
    virsh -q pool-define-as "$POOL" dir --target "$POOL_DIR" >/dev/null && virsh -q pool-start "$POOL" >/dev/null ||
      die "cannot define the storage pool $POOL"
  fi
  virsh pool-list --name | awk '{ print $1 }' | grep -qx "$POOL" || virsh -q pool-start "$POOL" >/dev/null || die "cannot start the storage pool $POOL"
  seed
  log "libvirtd ready (pool $POOL at $POOL_DIR)"
}

# vagrant-libvirt uploads a box's image into the pool (a libvirt stream of 1.1 GB: minutes on a
# loaded host) unless a volume of the name it computes is there. Our boxes' images sit beside the
# pool on the same disk: a hard link is that volume at no cost. The name is vagrant-libvirt's
# (handle_box_image.rb): <box>_vagrant_box_image_<version>_box.img, version 0 being 0_<mtime>.
# cleanup deletes the link with the pool; the box in $VAGRANT_HOME stays, as it was found.
seed() {
  local img box version vol
  for img in "$VAGRANT_HOME"/boxes/elab-box-*/*/libvirt/box.img; do
    [ -f "$img" ] || continue
    version=$(basename "$(dirname "$(dirname "$img")")") box=$(basename "$(dirname "$(dirname "$(dirname "$img")")")")
    [ "$version" = 0 ] && version=0_$(stat -c %Y "$img")
    vol=${box}_vagrant_box_image_${version}_box.img
    [ -e "$POOL_DIR/$vol" ] && continue
    # libvirt hands a guest's backing file to its QEMU user and leaves it so: the owner goes back in cleanup.
    grep -q " $img\$" "$STATE.seeded" 2>/dev/null || echo "$(stat -c %u:%g "$img") $img" >>"$STATE.seeded"
    ln "$img" "$POOL_DIR/$vol" 2>/dev/null || cp --reflink=auto "$img" "$POOL_DIR/$vol" || { log "cannot put $img into $POOL_DIR (vagrant will upload it)"; continue; }
    log "box $box in pool $POOL as $vol (no upload)"
  done
  virsh -q pool-refresh "$POOL" >/dev/null || log "pool-refresh $POOL failed (vagrant will upload the box)"
}

# libvirtd probes every qemu-system-* on PATH for its capabilities and caches them, marked with
# whether KVM was usable. Where /dev/kvm is root's alone (here), libvirtd (root) and its QEMU user
# disagree about that, so the cache never validated: libvirtd probed QEMU again (~10 s on a busy
# host, twice per binary) on every capabilities request, and a domain define or start cost up to a
# minute. Its QEMU user cannot use KVM there anyway, so a libvirtd started here gets a /dev/kvm
# that is an empty root-only file, and no qemu-system-i386 (labs are x86_64 guests): bind mounts in
# its own mount namespace, which ends with it; the host's files are untouched. Measured: a
# `virsh capabilities` 8-30 s before, and a one-VM `vagrant up` spent 111 s in define/update.
start_libvirtd() {
  local mounts=() quser
  [ -x /usr/bin/qemu-system-i386 ] && mounts+=("mount --bind /dev/null /usr/bin/qemu-system-i386")
  quser=$(sed -n 's/^[[:space:]]*user[[:space:]]*=[[:space:]]*"\(.*\)".*/\1/p' /etc/libvirt/qemu.conf 2>/dev/null | tail -n1)
  quser=${quser:-libvirt-qemu}
  if [ -e /dev/kvm ] && id "$quser" >/dev/null 2>&1 && ! setpriv --reuid="$quser" --regid="$(id -g "$quser")" --init-groups sh -c 'exec 3<>/dev/kvm' 2>/dev/null; then
    # libvirt builds each guest's /dev from the host's and cannot move a file mounted there, so
    # that libvirtd gives its guests no private /dev (qemu.conf namespaces = []; a copy, mounted).
    install -m 0600 /dev/null "$STATE.no-kvm" && mounts+=("mount --bind $STATE.no-kvm /dev/kvm") &&
      { cat /etc/libvirt/qemu.conf 2>/dev/null; echo 'namespaces = []'; } >"$STATE.qemu.conf" &&
      mounts+=("mount --bind $STATE.qemu.conf /etc/libvirt/qemu.conf")
    log "$quser cannot open /dev/kvm: libvirtd gets none (guests run on TCG either way)"
  fi
  if [ ${#mounts[@]} -gt 0 ] && command -v unshare >/dev/null; then
    local m script=''
    for m in "${mounts[@]}"; do script+="$m && "; done
    unshare -m --propagation private sh -c "${script}exec libvirtd -d" && return 0
    log "could not start libvirtd in its own mount namespace (it will probe QEMU on every define): starting it plainly"
  fi
  libvirtd -d
}

cleanup() {
  local d n v t c rule
  if virsh version >/dev/null 2>&1; then
    for d in $(ours list); do virsh -q destroy "$d" >/dev/null 2>&1; virsh -q undefine "$d" --nvram >/dev/null 2>&1 || virsh -q undefine "$d" >/dev/null 2>&1; log "removed domain $d"; done
    for n in $(ours net-list); do virsh -q net-destroy "$n" >/dev/null 2>&1; virsh -q net-undefine "$n" >/dev/null 2>&1; log "removed network $n"; done
    if virsh pool-info "$POOL" >/dev/null 2>&1; then
      virsh -q pool-refresh "$POOL" >/dev/null 2>&1
      for v in $(virsh vol-list "$POOL" 2>/dev/null | awk 'NR > 2 && $1 { print $1 }'); do virsh -q vol-delete "$v" --pool "$POOL" >/dev/null && log "removed volume $v"; done
      virsh -q pool-destroy "$POOL" >/dev/null 2>&1; virsh -q pool-undefine "$POOL" >/dev/null 2>&1; log "removed pool $POOL"
    fi
    # Volumes of ours in other pools (a box uploaded while the Vagrantfile named another pool).
    for p in $(virsh pool-list --name 2>/dev/null); do
      for v in $(virsh vol-list "$p" 2>/dev/null | awk 'NR > 2 && $1 ~ /^elab-/ { print $1 }'); do virsh -q vol-delete "$v" --pool "$p" >/dev/null && log "removed volume $v from pool $p"; done
    done
  fi
  rm -rf "$POOL_DIR"
  local owner img
  while read -r owner img; do [ -e "$img" ] && chown "$owner" "$img"; done < <(cat "$STATE.seeded" 2>/dev/null)
  rm -f "$STATE.seeded"
  [ -f "$STATE" ] || { log "no recorded state ($STATE): daemons, chains and sysctls left as they are"; return 0; }
  grep -qx 'libvirtd running' "$STATE" || stop_daemon libvirtd
  grep -qx 'virtlogd running' "$STATE" || stop_daemon virtlogd
  while read -r t c; do
    grep -qx "chain $t $c" "$STATE" && continue
    iptables -t "$t" -S | grep -- "-j $c\$" | sed 's/^-A /-D /' | while read -r rule; do eval "iptables -t $t $rule"; done
    iptables -t "$t" -F "$c" 2>/dev/null
  done < <(chains)
  while read -r t c; do grep -qx "chain $t $c" "$STATE" || { iptables -t "$t" -X "$c" && log "removed iptables chain $t/$c"; }; done < <(chains)
  while read -r _ s v; do [ -n "$v" ] && [ "$(sysctl -n "$s")" != "$v" ] && sysctl -qw "$s=$v" && log "restored $s=$v"; done < <(grep '^sysctl ' "$STATE")
  rm -f "$STATE" "$STATE.no-kvm" "$STATE.qemu.conf"
}

stop_daemon() {
  local pid i
  pid=$(pgrep -x "$1") || return 0
  # Only what the start above launched: the state file says it was not running before.
  kill $pid 2>/dev/null
  for i in $(seq 50); do running "$1" || break; sleep 0.2; done
  running "$1" && kill -9 $pid 2>/dev/null
  log "stopped $1 (pid $pid)"
}

check() {
  local bad=() saved
  if virsh version >/dev/null 2>&1; then
    [ -z "$(ours list)" ] || bad+=("domains: $(ours list | xargs)")
    [ -z "$(ours net-list)" ] || bad+=("networks: $(ours net-list | xargs)")
    virsh pool-info "$POOL" >/dev/null 2>&1 && bad+=("pool $POOL")
  fi
  saved=${1:-}
  if [ -n "$saved" ]; then
    [ "$(chains)" = "$(sed -n 's/^chain //p' "$saved")" ] || bad+=("iptables chains: now [$(chains | xargs)], before [$(sed -n 's/^chain //p' "$saved" | xargs)]")
    [ "$(sysctls)" = "$(sed -n 's/^sysctl //p' "$saved")" ] || bad+=("sysctls: now [$(sysctls | xargs)], before [$(sed -n 's/^sysctl //p' "$saved" | xargs)]")
    for dmn in libvirtd virtlogd; do
      if grep -qx "$dmn running" "$saved"; then running $dmn || bad+=("$dmn was running and is not"); else ! running $dmn || bad+=("$dmn still runs"); fi
    done
  fi
  [ ${#bad[@]} -eq 0 ] || { log "left behind: ${bad[*]}"; return 1; }
  log "nothing of ours is left${saved:+; chains, sysctls and daemons as before}"
}

case "${1:-}" in
  start) start ;;
  cleanup) cleanup ;;
  check) check "${2:-}" ;;
  snapshot) snapshot ;;
  *) die "usage: $0 start|cleanup|check [SNAPSHOT]|snapshot" ;;
esac
