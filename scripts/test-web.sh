#!/usr/bin/env bash
# CI stage "web": production build of apps/web (Next's type check included), then the Playwright
# e2e tests in Debian's chromium against a real labd and real netns labs.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$REPO"
command -v chromium >/dev/null || die "chromium is not installed: apt-get install chromium (scripts/setup.sh --with-tests does it)"
say "next build (apps/web)"
npm run -s -w @ebpf-lab/web build
say "browser tests (apps/web/e2e) in $(chromium --version 2>/dev/null | head -1)"
cd apps/web
node --import tsx --test $NODE_TEST_FLAGS e2e/*.test.ts
