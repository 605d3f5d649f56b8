#!/usr/bin/env bash
# Starts eBPF Lab on this machine with the netns driver: labd (root, 127.0.0.1:7420) and the web
# (drops to an unprivileged user, 127.0.0.1:3000). Installs what is missing first. Ctrl-C stops both;
# labs are reaped when labd starts next.
# usage: sudo scripts/start.sh     env: WEB_PORT (3000), LABD_PORT (7420), ELAB_STATE_DIR (/var/lib/ebpf-lab)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
need_root start.sh "$@"
cd "$REPO"
"$REPO/scripts/setup.sh"

WEB_PORT=${WEB_PORT:-3000}
LABD_PORT=${LABD_PORT:-7420}
export ELAB_STATE_DIR=${ELAB_STATE_DIR:-/var/lib/ebpf-lab}
export ELAB_LABD_URL="http://127.0.0.1:$LABD_PORT"
export ELAB_ALLOWED_ORIGINS="http://127.0.0.1:$WEB_PORT,http://localhost:$WEB_PORT"

stamp=apps/web/.next/.ebpf-lab-source-hash
want=$(git ls-files -s apps/web content packages | sha256sum | cut -d' ' -f1)
if [ ! -f apps/web/.next/BUILD_ID ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "Building the web app (next build; about 1-2 minutes on 2 cores)"
  npm run -s -w @ebpf-lab/web build
  echo "$want" > "$stamp"
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

say "Starting labd on 127.0.0.1:$LABD_PORT (state in $ELAB_STATE_DIR)"
node apps/labd/bin/labd.mjs --port "$LABD_PORT" --state-dir "$ELAB_STATE_DIR" &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$LABD_PORT/" && break; kill -0 "${pids[0]}" 2>/dev/null || die "labd exited; see the messages above"; sleep 0.1; done

say "Starting the web on 127.0.0.1:$WEB_PORT"
# The web gets labd's service token explicitly; it reads the file before it drops root.
ELAB_SERVICE_TOKEN_FILE="$ELAB_STATE_DIR/service-token" PORT=$WEB_PORT HOST=127.0.0.1 npm run -s -w @ebpf-lab/web start &
pids+=($!)
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$WEB_PORT/" && break; kill -0 "${pids[1]}" 2>/dev/null || die "the web server exited; see the messages above"; sleep 0.2; done

say "eBPF Lab is running: open http://127.0.0.1:$WEB_PORT   (Ctrl-C stops it)"
wait -n "${pids[@]}"
