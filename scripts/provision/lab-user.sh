#!/usr/bin/env bash
# Creates the lab login user (default: vagrant) with passwordless sudo and an
# SSH key, and sets up sshd for key-only logins. Idempotent.
#
#   LAB_USER             user name (default vagrant)
#   LAB_USER_PUBKEY      an OpenSSH public key line to authorize, or
#   LAB_USER_PUBKEY_FILE a file holding one.
# Without either, Vagrant's published insecure key is authorized, and only
# when the user has no authorized_keys yet: `vagrant up` swaps it for a fresh
# per-machine key, and a rerun must not bring the insecure one back.
set -euo pipefail
PROVISION_STEP=lab-user
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$(readlink -f "$0")")/common.sh"

# The public half of the key pair Vagrant ships for first contact with a box.
VAGRANT_INSECURE_PUBKEY='ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ== vagrant insecure public key'

require_root
load_os

user=${LAB_USER:-vagrant}
pubkey=${LAB_USER_PUBKEY:-}
if [ -z "$pubkey" ] && [ -n "${LAB_USER_PUBKEY_FILE:-}" ]; then
  pubkey=$(head -n1 "$LAB_USER_PUBKEY_FILE")
fi

apt_install openssh-server sudo

if id -u "$user" >/dev/null 2>&1; then
  log "user $user exists"
else
  log "creating user $user"
  useradd --create-home --shell /bin/bash --user-group "$user"
  # '*' = no password, but not locked: a locked account ('!') can be refused
  # even for key logins depending on PAM and sshd settings.
  usermod -p '*' "$user"
fi

sudoers=/etc/sudoers.d/$user
want="$user ALL=(ALL) NOPASSWD:ALL"
if [ "$(cat "$sudoers" 2>/dev/null)" != "$want" ]; then
  log "granting passwordless sudo ($sudoers)"
  printf '%s\n' "$want" >"$sudoers.tmp"
  chmod 0440 "$sudoers.tmp"
  visudo -cf "$sudoers.tmp" >/dev/null
  mv "$sudoers.tmp" "$sudoers"
fi

home=$(getent passwd "$user" | cut -d: -f6)
keys=$home/.ssh/authorized_keys
install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
if [ -n "$pubkey" ]; then
  if ! grep -qxF "$pubkey" "$keys" 2>/dev/null; then
    log "authorizing the given public key for $user"
    printf '%s\n' "$pubkey" >>"$keys"
  fi
elif [ ! -s "$keys" ]; then
  log "authorizing Vagrant's insecure key for $user (vagrant up replaces it)"
  printf '%s\n' "$VAGRANT_INSECURE_PUBKEY" >"$keys"
else
  log "$keys already has keys: left as is"
fi
chown "$user:$user" "$keys"
chmod 0600 "$keys"

# Debian gives users no sbin in PATH (Ubuntu does, via this same file), so
# `bpftool` or `ip` would be "command not found" over ssh. pam_env reads it.
if ! grep -q '^PATH=' /etc/environment 2>/dev/null; then
  log "adding sbin directories to PATH in /etc/environment"
  echo 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"' >>/etc/environment
fi

# Drop-ins are read before the main file and the first value wins, so these
# override the distribution defaults. MaxSessions: the lab driver multiplexes
# every exec and terminal over one connection (ControlMaster); 10 is too few.
conf=/etc/ssh/sshd_config.d/ebpf-lab.conf
cat >"$conf.tmp" <<'CONF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UseDNS no
MaxSessions 64
CONF
if cmp -s "$conf.tmp" "$conf"; then
  rm -f "$conf.tmp"
else
  log "writing $conf"
  mv "$conf.tmp" "$conf"
fi

if have_systemd; then
  # Ubuntu 24.04 starts sshd from ssh.socket, Debian from ssh.service.
  if ! systemctl -q is-enabled ssh.socket 2>/dev/null && ! systemctl -q is-enabled ssh 2>/dev/null; then
    log "enabling ssh"
    systemctl enable ssh
  fi
  sshd -t || die "sshd rejects its configuration"
  if systemctl -q is-active ssh; then
    log "reloading ssh (open sessions, this one included, stay up)"
    systemctl reload ssh
  elif ! systemctl -q is-active ssh.socket; then
    log "starting ssh"
    systemctl start ssh
  fi
else
  log "no systemd here (chroot or container): sshd is started by the container command"
fi
log "done"
