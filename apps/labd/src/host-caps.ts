import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { config } from './config.ts';

const CAP_BITS = { CAP_NET_ADMIN: 12, CAP_SYS_ADMIN: 21, CAP_SYS_PTRACE: 19, CAP_PERFMON: 38, CAP_BPF: 39 } as const;
export type CapName = keyof typeof CAP_BITS;

/** The effective capabilities of this process, read from /proc (not guessed from the uid). */
export function effectiveCaps(): Set<CapName> {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('CapEff:'));
  const mask = BigInt(`0x${line?.split(/\s+/)[1] ?? '0'}`);
  return new Set((Object.keys(CAP_BITS) as CapName[]).filter((c) => (mask >> BigInt(CAP_BITS[c])) & 1n));
}

export function missingCaps(need: CapName[]): CapName[] {
  const have = effectiveCaps();
  return need.filter((c) => !have.has(c));
}

/** Finds an executable on PATH without spawning a shell. */
export function which(cmd: string, path = config().toolPath): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** The Debian package that provides each tool labs use, for "install X" messages. */
export const TOOL_PACKAGES: Record<string, string> = {
  clang: 'clang',
  'llvm-strip': 'llvm',
  bpftool: 'bpftool',
  bpftrace: 'bpftrace',
  ip: 'iproute2',
  tc: 'iproute2',
  iptables: 'iptables',
  'iptables-legacy': 'iptables',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  make: 'make',
  curl: 'curl',
  ping: 'iputils-ping',
  vagrant: 'vagrant',
  docker: 'docker.io',
  ssh: 'openssh-client',
  python3: 'python3',
};

export function missingTools(tools: string[], path?: string): { what: string; fix: string }[] {
  return tools
    .filter((t) => !which(t, path))
    .map((t) => ({
      what: `${t} is not installed`,
      fix: `apt-get install ${TOOL_PACKAGES[t] ?? t}`,
    }));
}
