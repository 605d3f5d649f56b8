# Shared by scripts/*.sh: logging and the root check.
say() { printf '\n\033[1;36m==> %s\033[0m\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
need_root() {
  [ "$(id -u)" = 0 ] || die "$1 needs root: labs create network namespaces, mount bpffs and load eBPF programs (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_BPF). Run: sudo $0 $*"
}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# node:test flags every stage uses: one file at a time (the integration tests bring up real labs
# and the machine may have 2 cores), spec output, and one `SKIP: <test> — <reason>` line per skip.
NODE_TEST_FLAGS="--test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout --test-reporter=$REPO/scripts/lib/skip-reporter.mjs --test-reporter-destination=stdout"
export NODE_TEST_FLAGS
