import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Capability } from '@ebpf-lab/lab-spec';
import { config } from './config.ts';
import { cgroup2Root } from './drivers/netns/cgroup.ts';
import { confinementLacks, limitsReport } from './drivers/netns/limits.ts';
import { missingCaps, which, TOOL_PACKAGES } from './host-caps.ts';
import { run } from './proc.ts';

export interface DoctorItem {
  name: Capability | 'libbpf-dev' | 'cgroup2' | 'limits' | 'confinement' | 'vm';
  ok: boolean | null;
  detail: string;
  fix?: string;
}
export interface DoctorReport {
  kernel: string;
  items: DoctorItem[];
}

type ProbeResult = Record<string, { ok: boolean; error?: string }>;

const KERNEL_FIXES: Partial<Record<Capability, string>> = {
  bpf: 'run as root; the kernel needs CONFIG_BPF_SYSCALL=y',
  kprobe: 'this kernel has no kprobes (CONFIG_KPROBES unset); labs attach to the tracepoint instead. For kprobes use a VM: lab up <lab> --driver vagrant',
  fentry: 'fentry needs CONFIG_FUNCTION_TRACER and BTF and is refused here; labs use tracepoints instead. A VM (--driver vagrant) has it',
  tracepoint: 'the kernel needs CONFIG_TRACEPOINTS and tracefs: mount -t tracefs tracefs /sys/kernel/tracing',
  xdp: 'the kernel needs CONFIG_XDP_SOCKETS / generic XDP; use a newer distro kernel',
  tc: 'the kernel needs CONFIG_NET_CLS_BPF and CONFIG_NET_SCH_INGRESS (clsact)',
  cgroup: 'the kernel needs CONFIG_CGROUP_BPF and a cgroup v2 mount: mount -t cgroup2 none /sys/fs/cgroup/unified',
  ringbuf: 'BPF ring buffers need Linux 5.8 or newer',
};

function mounted(type: string, at: string[]): string | null {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mnt, t] = line.split(' ');
    if (t === type && mnt && at.includes(mnt)) return mnt;
  }
  return null;
}

function cacheKey(): string {
  const boot = existsSync('/proc/sys/kernel/random/boot_id') ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() : '';
  return `${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}/${boot}`;
}

/**
 * Tries each program type for real with bpf/probe (loaded and attached inside a throwaway
 * network namespace). Cached per kernel and boot, since the answer cannot change before a reboot.
 */
async function probeKernel(fresh: boolean): Promise<ProbeResult | { unavailable: string }> {
  const cache = join(config().stateDir, 'kernel-probe.json');
  if (!fresh && existsSync(cache)) {
    try {
      const c = JSON.parse(readFileSync(cache, 'utf8'));
      if (c.key === cacheKey()) return c.result as ProbeResult;
    } catch {
      /* re-probe */
    }
  }
  const bpfDir = join(config().repoRoot, 'bpf');
  const bin = join(bpfDir, '.output', 'probe');
  if (!existsSync(bin)) {
    if (!which('clang') || !which('bpftool')) return { unavailable: 'the kernel probe could not be built (clang or bpftool missing; see below)' };
    const b = await run('make', ['-s', '-C', bpfDir, 'probe'], { timeoutMs: 120_000 });
    if (b.code !== 0) return { unavailable: `building bpf/probe failed: ${(b.stderr || b.stdout).trim().split('\n').slice(-3).join(' ')}` };
  }
  const r = await run('unshare', ['--net', bin], { timeoutMs: 20_000 });
  let result: ProbeResult;
  try {
    result = JSON.parse(r.stdout) as ProbeResult;
  } catch {
    return { unavailable: `bpf/probe failed (exit ${r.code}): ${r.stderr.trim().slice(-300)}` };
  }
  mkdirSync(config().stateDir, { recursive: true });
  writeFileSync(cache, JSON.stringify({ key: cacheKey(), result }));
  return result;
}

function confinementReport(): { ok: boolean; detail: string; fix?: string } {
  const lacks = confinementLacks();
  if (!lacks.length)
    return {
      ok: true,
      detail: 'netns labs run in their own PID namespace and root filesystem, with reduced capabilities (CAP_SYS_ADMIN kept), no_new_privs and seccomp',
    };
  return {
    ok: false,
    detail: `netns labs cannot start: this host lacks ${lacks.join(', ')}`,
    fix: 'apt-get install python3; modprobe overlay; or use the vagrant driver',
  };
}

/** `vm`: also say whether the vm driver can run and on which accelerator (may boot a probe guest once per host boot). */
export async function doctor(opts: { fresh?: boolean; path?: string; vm?: boolean } = {}): Promise<DoctorReport> {
  const items: DoctorItem[] = [];
  const caps = missingCaps(['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_BPF', 'CAP_PERFMON']);
  items.push({
    name: 'root',
    ok: caps.length === 0,
    detail: caps.length ? `missing ${caps.join(', ')}` : 'CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON present',
    fix: caps.length ? 'run as root: sudo npx lab doctor' : undefined,
  });
  const btf = existsSync('/sys/kernel/btf/vmlinux');
  items.push({
    name: 'btf',
    ok: btf,
    detail: btf ? '/sys/kernel/btf/vmlinux present (CO-RE works)' : 'no /sys/kernel/btf/vmlinux',
    fix: btf ? undefined : 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y (stock Debian/Ubuntu kernels are)',
  });
  const bpffs = mounted('bpf', ['/sys/fs/bpf']);
  items.push({
    name: 'bpffs',
    ok: !!bpffs,
    detail: bpffs ? 'mounted at /sys/fs/bpf' : 'not mounted at /sys/fs/bpf on the host (each lab mounts its own)',
    fix: bpffs ? undefined : 'mount -t bpf bpf /sys/fs/bpf',
  });
  const tracefs = mounted('tracefs', ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']);
  items.push({
    name: 'tracefs',
    ok: !!tracefs,
    detail: tracefs ? `mounted at ${tracefs}` : 'not mounted on the host (each lab mounts its own)',
    fix: tracefs ? undefined : 'mount -t tracefs tracefs /sys/kernel/tracing',
  });
  const cg = cgroup2Root();
  items.push({
    name: 'cgroup2',
    ok: !!cg,
    detail: cg ? `cgroup v2 at ${cg}` : 'no cgroup v2 mount',
    fix: cg ? undefined : 'mount -t cgroup2 none /sys/fs/cgroup/unified',
  });
  items.push({ name: 'limits', ...limitsReport() });
  items.push({ name: 'confinement', ...confinementReport() });

  const probe = caps.includes('CAP_SYS_ADMIN') ? { unavailable: 'needs root to load programs' } : await probeKernel(!!opts.fresh);
  for (const cap of ['bpf', 'kprobe', 'fentry', 'tracepoint', 'xdp', 'tc', 'cgroup', 'ringbuf'] as const) {
    if ('unavailable' in probe) {
      items.push({ name: cap, ok: null, detail: `not probed: ${probe.unavailable}` });
      continue;
    }
    const p = probe[cap];
    const ok = !!p?.ok;
    items.push({
      name: cap,
      ok,
      detail: ok ? 'loaded and attached a test program' : `refused: ${p?.error ?? 'not reported by the probe'}`,
      fix: ok ? undefined : KERNEL_FIXES[cap],
    });
  }
  for (const tool of ['clang', 'bpftool', 'bpftrace', 'iptables', 'ip', 'make'] as const) {
    const at = which(tool, opts.path);
    items.push({ name: tool, ok: !!at, detail: at ?? 'not found on PATH', fix: at ? undefined : `apt-get install ${TOOL_PACKAGES[tool]}` });
  }
  const libbpf = existsSync('/usr/include/bpf/libbpf.h');
  items.push({
    name: 'libbpf-dev',
    ok: libbpf,
    detail: libbpf ? '/usr/include/bpf/libbpf.h present' : 'libbpf headers missing',
    fix: libbpf ? undefined : 'apt-get install libbpf-dev',
  });
  if (opts.vm) items.push(await (await import('./drivers/vm/image.ts')).vmDoctorItem(!!opts.fresh));
  return { kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), items };
}

/** What a lab's `requires` lacks on this host, with fixes; tools are checked on PATH, kernel features via the cached probe. */
export async function unmetRequirements(requires: Capability[], path?: string): Promise<{ what: string; fix: string }[]> {
  if (requires.length === 0) return [];
  const rep = await doctor({ path });
  return requires.flatMap((c) => {
    const item = rep.items.find((i) => i.name === c);
    return item && item.ok === false ? [{ what: `${c}: ${item.detail}`, fix: item.fix ?? '' }] : [];
  });
}
