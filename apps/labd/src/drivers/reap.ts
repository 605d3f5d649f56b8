import type { DriverName } from '@ebpf-lab/lab-spec';
import type { InstanceState, ReapReport } from './types.ts';

/**
 * What a driver's destroy needs to find the leftovers of an instance whose state file is gone
 * (labd died mid-`up`, or the state dir was wiped): its id, where its workdir would be, and the
 * driver's own handles derived from the id (a cluster name, a domain name, a provider).
 */
export function orphanState(id: string, driver: DriverName, workdir: string, driverState: Record<string, unknown>): InstanceState {
  return { id, labId: '?', driver, createdAt: '', workdir, nodes: [], driverState };
}

/** Destroys one instance for `reap` and records it: removed, with each error its destroy reported. */
export async function reapInstance(report: ReapReport, state: InstanceState, destroy: (s: InstanceState) => Promise<string[]>): Promise<void> {
  const errors = await destroy(state);
  report.removed.push(state.id);
  report.errors.push(...errors.map((e) => `${state.id}: ${e}`));
}
