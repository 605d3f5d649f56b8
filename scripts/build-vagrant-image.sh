#!/usr/bin/env bash
# Builds the image that Vagrant's docker provider runs in CI in place of a lab
# VM: a Debian 12 (bookworm) minbase rootfs from this machine's own apt mirror,
# provisioned by scripts/provision/{ebpf-tools,lab-user}.sh in a chroot, then
# `docker import`ed with sshd in the foreground as its command.
#
# Usage: scripts/build-vagrant-image.sh [--print-ref] [--force] [--rootfs-only]
#   --print-ref  print the image reference the current inputs give, build nothing
#   --force      rebuild from debootstrap even when the image or caches exist
#   --rootfs-only  build (or find) the cached rootfs tarball only, print its path, no docker:
#                the one builder scripts/build-vm-image.sh starts from
#
# Prints the image reference (ebpf-lab/vagrant-debian:<tag>) as the only line
# on stdout; progress and timings go to stderr. So: IMAGE=$(scripts/build-vagrant-image.sh)
# The tag is the first 12 hex digits of a SHA-256 over this script, the
# provisioning scripts it runs, vagrant/container-init.sh, suite, architecture
# and LAB_USER_PUBKEY. An image with that tag is never rebuilt; the rootfs
# tarball kept in the cache makes a rebuild after `docker rmi` an import only.
#
# Environment:
#   LAB_IMAGE_REPO      image name without tag (default ebpf-lab/vagrant-debian)
#   LAB_CACHE_DIR       cache for rootfs tarballs and .debs (default /var/cache/ebpf-lab)
#   LAB_DEBIAN_MIRROR   mirror URI; default: the one apt on this machine uses for bookworm
#   LAB_USER_PUBKEY     authorize this key instead of Vagrant's insecure one
set -euo pipefail

SUITE=bookworm
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
IMAGE_REPO=${LAB_IMAGE_REPO:-ebpf-lab/vagrant-debian}
CACHE_DIR=${LAB_CACHE_DIR:-/var/cache/ebpf-lab}
INIT_CMD='["/usr/local/sbin/ebpf-lab-init","/usr/sbin/sshd","-D","-e"]'
INPUTS=(scripts/build-vagrant-image.sh scripts/lib/image-build.sh scripts/provision/common.sh
  scripts/provision/ebpf-tools.sh scripts/provision/lab-user.sh vagrant/container-init.sh)
BUILDER=build-vagrant-image
# shellcheck source=lib/image-build.sh
source "$repo/scripts/lib/image-build.sh"

parse_flags "--print-ref=print_only --force=force --rootfs-only=rootfs_only" "$@"

arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
tag=$(inputs_tag "$repo" "suite=$SUITE arch=$arch pubkey=${LAB_USER_PUBKEY:-}" "${INPUTS[@]}")
image=$IMAGE_REPO:$tag
if [ "$print_only" = 1 ]; then echo "$image"; exit 0; fi

need_build_root
[ "$rootfs_only" = 1 ] || command -v docker >/dev/null || die "docker not found: apt-get install docker.io"
if [ "$rootfs_only" = 0 ] && ! docker info >/dev/null 2>&1; then
  log "docker engine not answering; starting it with scripts/start-dockerd.sh"
  "$repo/scripts/start-dockerd.sh" >&2
fi

t_total=$(now)
mkdir -p "$CACHE_DIR/apt-archives"
# One build at a time: concurrent CI jobs would otherwise debootstrap twice.
exec 9>"$CACHE_DIR/.build.lock"
flock 9

if [ "$force" = 0 ] && [ "$rootfs_only" = 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
  log "image $image is up to date (checked in $(took "$t_total"))"
  echo "$image"
  exit 0
fi

rootfs_tar=$CACHE_DIR/vagrant-debian-$tag.tar

# URI that this machine's apt configuration uses for SUITE, or nothing.
# Reads one-line (*.list) and deb822 (*.sources) files, as apt does.
host_uri_for() {
  local suite=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v s="$suite" '
      $1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                    if ($(i + 1) == s) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
      { types = uris = suites = ""; enabled = "yes"
        for (n = 1; n <= NF; n++) {
          if ($n ~ /^#/) continue
          split($n, kv, ":[ \t]*"); key = tolower(kv[1]); val = substr($n, length(kv[1]) + 2)
          gsub(/^[ \t]+/, "", val)
          if (key == "types") types = val; else if (key == "uris") uris = val
          else if (key == "suites") suites = val; else if (key == "enabled") enabled = tolower(val)
        }
        if (enabled == "no" || (" " types " ") !~ / deb /) next
        if ((" " suites " ") ~ (" " s " ")) { split(uris, u, /[ \t]+/); print u[1]; exit } }' "$f"
  done
}

build_rootfs_tar() {
  local mirror security updates base_tar
  mirror=${LAB_DEBIAN_MIRROR:-$(host_uri_for "$SUITE" | head -n1)}
  [ -n "$mirror" ] || die "no apt source for '$SUITE' in /etc/apt/sources.list{,.d/}; set LAB_DEBIAN_MIRROR"
  updates=$(host_uri_for "$SUITE-updates" | head -n1)
  security=$(host_uri_for "$SUITE-security" | head -n1)
  log "mirror: $mirror${security:+ (security: $security)}"

  WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/ebpf-lab-rootfs.XXXXXX")
  local rootfs=$WORK/rootfs
  trap cleanup_work EXIT

  # The bare debootstrap is cached apart: changing a provisioning script then
  # skips the slowest network step.
  base_tar=$CACHE_DIR/debootstrap-$SUITE-$arch-$(printf '%s' "$mirror" | sha256sum | cut -c1-8).tar
  mkdir -p "$rootfs"
  local t
  t=$(now)
  if [ "$force" = 0 ] && [ -s "$base_tar" ]; then
    tar -C "$rootfs" --numeric-owner -xf "$base_tar"
    log "unpacked cached debootstrap base $(basename "$base_tar") in $(took "$t")"
  else
    command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap"
    log "debootstrap --variant=minbase $SUITE ($arch) from $mirror"
    debootstrap --variant=minbase --arch="$arch" --components=main "$SUITE" "$rootfs" "$mirror" \
      >"$WORK/debootstrap.log" 2>&1 || { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
    tar -C "$rootfs" --numeric-owner -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
    log "debootstrap done in $(took "$t")"
  fi

  {
    echo "deb $mirror $SUITE main"
    [ -z "$updates" ] || echo "deb $updates $SUITE-updates main"
    [ -z "$security" ] || echo "deb $security $SUITE-security main"
  } >"$rootfs/etc/apt/sources.list"
  chroot_prepare "$rootfs"
  chroot_provision "$rootfs" "$repo" ebpf-tools lab-user -- LAB_USER_PUBKEY="${LAB_USER_PUBKEY:-}"
  install -m 0755 "$repo/vagrant/container-init.sh" "$rootfs/usr/local/sbin/ebpf-lab-init"
  chroot_finish "$rootfs"

  t=$(now)
  tar -C "$rootfs" --numeric-owner --xattrs --xattrs-include='security.capability' \
    -cf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  log "rootfs tarball $(du -h "$rootfs_tar" | cut -f1) written in $(took "$t")"
  trap - EXIT
  cleanup_work
}

if [ "$force" = 1 ] || [ ! -s "$rootfs_tar" ]; then
  build_rootfs_tar
else
  log "using cached rootfs $rootfs_tar"
fi
if [ "$rootfs_only" = 1 ]; then
  # Tarballs of inputs that no longer exist in this tree are only a cache: they go here too.
  find "$CACHE_DIR" -maxdepth 1 -name 'vagrant-debian-*.tar' ! -name "$(basename "$rootfs_tar")" -delete
  echo "$rootfs_tar"
  exit 0
fi

t=$(now)
docker import \
  -c "CMD $INIT_CMD" -c 'EXPOSE 22' \
  -c "LABEL org.ebpf-lab.inputs=$tag org.ebpf-lab.suite=$SUITE" \
  -m "ebpf-lab vagrant image ($SUITE, inputs $tag)" \
  "$rootfs_tar" "$image" >/dev/null
docker tag "$image" "$IMAGE_REPO:latest"
log "imported $image (also :latest) in $(took "$t")"

# Older images and rootfs tarballs belong to inputs that no longer exist in
# this tree. An image still used by a container stays (docker refuses).
docker image ls --format '{{.Repository}}:{{.Tag}}' "$IMAGE_REPO" |
  grep -vxF -e "$image" -e "$IMAGE_REPO:latest" |
  while read -r old; do docker rmi "$old" >/dev/null 2>&1 && log "removed old image $old"; done || true
find "$CACHE_DIR" -maxdepth 1 -name 'vagrant-debian-*.tar' ! -name "$(basename "$rootfs_tar")" -delete
log "total $(took "$t_total")"
echo "$image"
