#!/usr/bin/env bash
# Start the Docker engine in the background when it is not answering yet.
# Machines without systemd (CI sandboxes, containers) have no service manager to
# do it; where systemd runs we ask it instead of spawning a second daemon.
# Idempotent: exits 0 at once when `docker info` already works.
set -euo pipefail

log() { printf 'start-dockerd: %s\n' "$*" >&2; }

command -v docker >/dev/null || { log "docker CLI not found: apt-get install docker.io"; exit 1; }

if docker info >/dev/null 2>&1; then
  log "dockerd already running"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "dockerd is not running and starting it needs root: sudo $0"
  exit 1
fi

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  log "starting docker via systemd"
  systemctl start docker
else
  command -v dockerd >/dev/null || { log "dockerd not found: apt-get install docker.io"; exit 1; }
  logfile=${DOCKERD_LOG:-/var/log/ebpf-lab-dockerd.log}
  log "starting dockerd in the background (log: $logfile)"
  # setsid: the daemon must not die with the shell that started it.
  setsid dockerd >>"$logfile" 2>&1 </dev/null &
fi

timeout=${DOCKERD_START_TIMEOUT:-60}
for _ in $(seq "$timeout"); do
  if docker info >/dev/null 2>&1; then
    log "dockerd is ready"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within ${timeout}s; see ${logfile:-journalctl -u docker}"
exit 1
