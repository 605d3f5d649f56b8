# shellcheck shell=bash
# Helpers sourced by the other scripts in scripts/provision/. Defines functions
# only, so sourcing it twice or running it alone does nothing.
# Works on Debian 12 and Ubuntu 24.04, in a VM, a chroot or a container.

export DEBIAN_FRONTEND=noninteractive

log() { printf '[%s] %s\n' "${PROVISION_STEP:-provision}" "$*"; }
die() { log "error: $*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo $0)"
}

# Sets OS_ID (debian|ubuntu), OS_VERSION_ID and OS_CODENAME from /etc/os-release.
load_os() {
  [ -r /etc/os-release ] || die "/etc/os-release missing: cannot tell the distribution"
  # shellcheck disable=SC1091
  . /etc/os-release
  OS_ID=${ID:-unknown}
  # shellcheck disable=SC2034  # read by the scripts that source this file
  OS_VERSION_ID=${VERSION_ID:-unknown}
  # shellcheck disable=SC2034
  OS_CODENAME=${VERSION_CODENAME:-unknown}
  case "$OS_ID" in
    debian|ubuntu) ;;
    *) die "unsupported distribution '$OS_ID' (supported: Debian 12, Ubuntu 24.04)" ;;
  esac
}

# True when systemd is PID 1 here (false in a chroot or a plain container).
have_systemd() { [ -d /run/systemd/system ]; }

# apt-get update at most once per run, and not at all when the package lists
# are younger than an hour: provisioning is rerun often and must stay fast.
apt_update_once() {
  [ -n "${_APT_UPDATED:-}" ] && return 0
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -60 2>/dev/null | head -n1)" ]; then
    log "apt-get update"
    apt-get update -q
  fi
  _APT_UPDATED=1
}

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# True when apt can install the package (it has a candidate version).
apt_has_candidate() {
  apt_update_once
  local candidate
  candidate=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ]
}

# Installs the packages that are not installed yet; says which ones.
apt_install() {
  local missing=() p
  for p in "$@"; do
    is_installed "$p" || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "already installed: $*"
    return 0
  fi
  apt_update_once
  log "installing: ${missing[*]}"
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}
