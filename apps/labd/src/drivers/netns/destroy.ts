import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { instanceDir, loadStateAnywhere, unregister } from '../../instances.ts';
import { run } from '../../proc.ts';
import { destroyCgroup, labCgroupBase } from './cgroup.ts';
import { destroyV1Cgroups, unmountUnder } from './limits.ts';
import { prefixOf } from './topology.ts';
import { instanceIdOf } from '../lab-names.ts';

/** Network namespaces on this host that belong to lab instances, by instance id. */
export async function labNetnsByInstance(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const dir = '/run/netns';
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const id = instanceIdOf(name, 'dash');
    if (id) out.set(id, [...(out.get(id) ?? []), name]);
  }
  return out;
}

/** Host-namespace links named after an instance (only there if a build crashed half-way). */
export async function labHostLinks(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const r = await run('ip', ['-j', 'link', 'show']);
  if (r.code !== 0) return out;
  for (const l of JSON.parse(r.stdout || '[]') as { ifname: string }[]) {
    const id = instanceIdOf(l.ifname, 'any');
    if (id) out.set(id, [...(out.get(id) ?? []), l.ifname]);
  }
  return out;
}

/** Host iptables rules and chains that carry an instance prefix (tagged by comment or chain name). */
async function removeHostIptables(prefix: string): Promise<void> {
  for (const bin of ['iptables', 'iptables-legacy']) {
    const save = await run(`${bin}-save`, []);
    if (save.code !== 0 || !save.stdout.toLowerCase().includes(prefix)) continue;
    let table = 'filter';
    const chains: [string, string][] = [];
    for (const line of save.stdout.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      else if (line.startsWith('-A ') && line.toLowerCase().includes(prefix)) {
        await run(bin, [
          '-t',
          table,
          ...line
            .replace(/^-A /, '-D ')
            .match(/(?:[^\s"]+|"[^"]*")+/g)!
            .map((t) => t.replace(/^"|"$/g, '')),
        ]);
      } else if (line.startsWith(':') && line.slice(1).toLowerCase().startsWith(prefix)) chains.push([table, line.slice(1).split(' ')[0]!]);
    }
    for (const [t, c] of chains) {
      await run(bin, ['-t', t, '-F', c]);
      await run(bin, ['-t', t, '-X', c]);
    }
  }
}

/**
 * Removes everything an instance may have created, whether or not its state file survived:
 * processes (through its cgroups), network namespaces, stray host links, host iptables entries,
 * host bpffs pins, its workdir mount, and its state + workdir. Safe to call twice.
 */
export async function destroyInstance(id: string): Promise<string[]> {
  const prefix = prefixOf(id);
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown> | unknown) => {
    try {
      await fn();
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  await attempt('cgroup', () => destroyCgroup(join(labCgroupBase(), prefix)));
  // After v2 killed every process, the v1 directories (memory, pids, cpu limits) are empty.
  await attempt('cgroup v1', () => destroyV1Cgroups(prefix));
  const netns = (await labNetnsByInstance()).get(id) ?? [];
  for (const n of netns)
    await attempt(`netns ${n}`, async () => {
      const r = await run('ip', ['netns', 'del', n]);
      if (r.code !== 0 && existsSync(`/run/netns/${n}`)) throw new Error(r.stderr.trim());
    });
  for (const l of (await labHostLinks()).get(id) ?? []) await attempt(`link ${l}`, () => run('ip', ['link', 'del', l]));
  await attempt('iptables', () => removeHostIptables(prefix));
  await attempt('bpffs', () => {
    if (!existsSync('/sys/fs/bpf')) return;
    for (const n of readdirSync('/sys/fs/bpf')) if (n.startsWith(prefix)) rmSync(join('/sys/fs/bpf', n), { recursive: true, force: true });
  });
  await attempt('state', async () => {
    const state = loadStateAnywhere(id);
    // The size-bounded workdir is a tmpfs: unmounted first, or rm would empty it and leave the mount.
    await unmountUnder(instanceDir(id));
    if (state) await unmountUnder(dirname(state.workdir));
    rmSync(state ? dirname(state.workdir) : instanceDir(id), { recursive: true, force: true });
    unregister(id);
  });
  return errors;
}
