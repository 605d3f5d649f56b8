#!/usr/bin/env bash
# Installs what lesson 4 (Cilium on kind) needs: docker, kind, helm, kubectl.
# docker comes from the distribution; kind, helm and kubectl are pinned
# upstream release binaries, checked against a SHA-256 before they are
# installed. Idempotent: a tool already at the pinned version is left alone.
#
#   KIND_VERSION / HELM_VERSION / KUBECTL_VERSION  override the pins
#   KIND_SHA256 / HELM_SHA256 / KUBECTL_SHA256     expected digests; without
#     them the digest published next to the release file is used (guards
#     against a broken download, not against a compromised release host)
#   LAB_USER                                       added to the docker group (default vagrant)
set -euo pipefail
PROVISION_STEP=k8s-tools
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$(readlink -f "$0")")/common.sh"

KIND_VERSION=${KIND_VERSION:-v0.26.0}
HELM_VERSION=${HELM_VERSION:-v3.16.4}
KUBECTL_VERSION=${KUBECTL_VERSION:-v1.32.2}

require_root
load_os

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac

apt_install docker.io curl ca-certificates tar
if have_systemd; then
  systemctl enable --now docker >/dev/null
fi
user=${LAB_USER:-vagrant}
if id -u "$user" >/dev/null 2>&1 && ! id -nG "$user" | tr ' ' '\n' | grep -qx docker; then
  log "adding $user to the docker group"
  usermod -aG docker "$user"
fi

# kind runs one kubelet per node container; the default inotify limits make
# multi-node clusters fail with "too many open files".
sysctl_conf=/etc/sysctl.d/90-ebpf-lab-kind.conf
if [ ! -f "$sysctl_conf" ]; then
  log "raising inotify limits for kind ($sysctl_conf)"
  printf 'fs.inotify.max_user_watches = 524288\nfs.inotify.max_user_instances = 512\n' >"$sysctl_conf"
  sysctl -q -p "$sysctl_conf" || log "could not apply $sysctl_conf now (read-only /proc/sys?)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch URL DEST EXPECTED_SHA256|"" DIGEST_URL
fetch_verified() {
  local url=$1 dest=$2 want=$3 digest_url=$4
  log "downloading $url"
  curl -fsSL --retry 3 -o "$dest" "$url" || die "download failed: $url (is there internet access?)"
  if [ -z "$want" ]; then
    want=$(curl -fsSL --retry 3 "$digest_url" | awk '{print $1; exit}') || die "download failed: $digest_url"
  fi
  [ "${#want}" -eq 64 ] || die "no usable SHA-256 for $url"
  echo "$want  $dest" | sha256sum -c --quiet - || die "SHA-256 mismatch for $url"
}

if [ "$(kind version 2>/dev/null | awk '{print $2}')" = "$KIND_VERSION" ]; then
  log "kind $KIND_VERSION already installed"
else
  url=https://kind.sigs.k8s.io/dl/$KIND_VERSION/kind-linux-$arch
  fetch_verified "$url" "$tmp/kind" "${KIND_SHA256:-}" "$url.sha256sum"
  install -m 0755 "$tmp/kind" /usr/local/bin/kind
  log "installed kind $KIND_VERSION"
fi

if helm version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
  log "helm $HELM_VERSION already installed"
else
  url=https://get.helm.sh/helm-$HELM_VERSION-linux-$arch.tar.gz
  fetch_verified "$url" "$tmp/helm.tgz" "${HELM_SHA256:-}" "$url.sha256sum"
  tar -xzf "$tmp/helm.tgz" -C "$tmp" "linux-$arch/helm"
  install -m 0755 "$tmp/linux-$arch/helm" /usr/local/bin/helm
  log "installed helm $HELM_VERSION"
fi

if kubectl version --client -o json 2>/dev/null | grep -q "\"gitVersion\": \"$KUBECTL_VERSION\""; then
  log "kubectl $KUBECTL_VERSION already installed"
else
  url=https://dl.k8s.io/release/$KUBECTL_VERSION/bin/linux/$arch/kubectl
  fetch_verified "$url" "$tmp/kubectl" "${KUBECTL_SHA256:-}" "$url.sha256"
  install -m 0755 "$tmp/kubectl" /usr/local/bin/kubectl
  log "installed kubectl $KUBECTL_VERSION"
fi

log "docker:  $(docker --version)"
log "kind:    $(kind version)"
log "helm:    $(helm version --short)"
log "kubectl: $(kubectl version --client 2>/dev/null | head -n1)"
log "done"
