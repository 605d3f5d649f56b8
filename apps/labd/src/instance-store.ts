import type { DriverName } from '@ebpf-lab/lab-spec';
import { getDriver } from './drivers/registry.ts';
import type { InstanceState, LabInstance } from './drivers/types.ts';
import { loadState } from './instances.ts';
import type { Store } from './store/store.ts';

/**
 * Where one learner's instance of one lab stands:
 * - creating: a start or reset is running in this labd;
 * - ready: the learner's instance is recorded and its driver says it is alive;
 * - failed: the last start failed (the message says why) and nothing runs;
 * - down: nothing runs and nothing failed.
 */
export type Phase = 'creating' | 'ready' | 'failed' | 'down';

export interface InstanceRecord {
  learnerId: string;
  labId: string;
  phase: Phase;
  /** The recorded instance when ready, else null. */
  instanceId: string | null;
  /** The driver it runs (or is being made) on; when down, the learner's remembered choice, if any. */
  driver: DriverName | null;
  /** The driver's state file (nodes, workdir, what it needs to reattach) when ready. */
  state: InstanceState | null;
  /** Why the last start failed; when ready, why the running lab is stuck (LabInstance.problem). */
  error?: { message: string; hint?: string };
}

export interface Owner { learnerId: string; labId: string }
const keyOf = (o: Owner) => `${o.learnerId}\0${o.labId}`;

/**
 * The one owner of "which instance is this learner's, and in what phase". Its parts stay where
 * each survives what it must, and are read only through here:
 * - SQLite `learner_labs` (owner → instance id and driver choice): survives labd restarts;
 * - `<stateDir>/instances/<id>/state.json` plus the `/run/ebpf-lab` index, written by the driver
 *   before it creates anything, so `lab reap` finds what a killed labd left (instances.ts);
 * - in memory: starts in flight and the last failure, which end with the process anyway.
 */
export class InstanceStore {
  private readonly creating = new Map<string, { driver: DriverName; done: Promise<void> }>();
  private readonly failures = new Map<string, { message: string; hint?: string }>();

  constructor(private readonly db: Store) {}

  /** The instance recorded for the owner (ready or not) and the learner's driver choice. */
  owned(o: Owner): { instanceId: string | null; driver: DriverName | null } {
    const r = this.db.getLearnerLab(o.learnerId, o.labId);
    return { instanceId: r.instanceId, driver: r.driver as DriverName | null };
  }

  /** Records (or, with null, forgets) the owner's instance; the driver is remembered either way. */
  assign(o: Owner, instanceId: string | null, driver: DriverName | null): void {
    this.db.setLearnerLab(o.learnerId, o.labId, instanceId, driver);
  }

  /** The state file of the owner's recorded instance (alive or not), if it is of this lab. */
  recorded(o: Owner): InstanceState | null {
    const { instanceId } = this.owned(o);
    const state = instanceId ? loadState(instanceId) : null;
    return state && state.labId === o.labId ? state : null;
  }

  /** The owner's instance with a driver handle, if it is recorded, of this lab and alive. */
  async running(o: Owner): Promise<{ state: InstanceState; inst: LabInstance } | null> {
    const state = this.recorded(o);
    if (!state) return null;
    const inst = (await getDriver(state.driver)).attach(state);
    return (await inst.alive()) ? { state, inst } : null;
  }

  async record(o: Owner): Promise<InstanceRecord> {
    const base = { learnerId: o.learnerId, labId: o.labId, instanceId: null, state: null };
    const c = this.creating.get(keyOf(o));
    if (c) return { ...base, phase: 'creating', driver: c.driver };
    const r = await this.running(o);
    if (r) {
      // Running but stuck (a VM paused on a full host disk): still ready, with the reason and fix.
      const problem = await r.inst.problem?.();
      return { ...base, phase: 'ready', instanceId: r.state.id, driver: r.state.driver, state: r.state, ...(problem ? { error: { message: problem } } : {}) };
    }
    const error = this.failures.get(keyOf(o));
    return { ...base, phase: error ? 'failed' : 'down', driver: this.owned(o).driver, ...(error ? { error } : {}) };
  }

  isCreating(o: Owner): boolean {
    return this.creating.has(keyOf(o));
  }

  /**
   * Runs `work` as the owner's creation: the phase is `creating` until it settles, then `ready`
   * (work recorded the instance with assign) or `failed` with the message `failure` makes of the error.
   */
  create(o: Owner, driver: DriverName, work: () => Promise<void>, failure: (e: unknown) => { message: string; hint?: string }): Promise<void> {
    const k = keyOf(o);
    this.failures.delete(k);
    const done = (async () => {
      try {
        await work();
      } catch (e) {
        this.failures.set(k, failure(e));
        throw e;
      } finally {
        this.creating.delete(k);
      }
    })();
    this.creating.set(k, { driver, done: done.catch(() => {}) });
    return done;
  }

  /** Waits for the owner's creation in flight, if any (its outcome is in record()). */
  async settled(o: Owner): Promise<void> {
    await this.creating.get(keyOf(o))?.done;
  }

  /** Owners with a creation in flight, and its driver. */
  inFlight(): (Owner & { driver: DriverName })[] {
    return [...this.creating].map(([k, c]) => {
      const [learnerId, labId] = k.split('\0') as [string, string];
      return { learnerId, labId, driver: c.driver };
    });
  }

  /** Every owner with an instance recorded (alive or not). */
  held(): (Owner & { instanceId: string })[] {
    return this.db.heldInstances();
  }

  /** Every creation in flight, for a shutdown that waits for them to record their instance. */
  pending(): Promise<void>[] {
    return [...this.creating.values()].map((c) => c.done);
  }
}
