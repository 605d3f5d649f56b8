import type { DriverName } from '@ebpf-lab/lab-spec';
import { getDriver } from './drivers/registry.ts';
import type { InstanceState, LabInstance } from './drivers/types.ts';
import { listStateIds, loadState } from './instances.ts';
import { procStartTime } from './proc-stat.ts';
import type { LearnerLabRow, Store } from './store/store.ts';

/** What a learner sees of a start that a stopped (killed, crashed) labd left half done. */
export const INTERRUPTED = {
  message: 'labd stopped while this lab was starting; start it again',
  hint: 'what that start had made was removed; your progress is kept',
};

/**
 * Where one learner's instance of one lab stands:
 * - creating: a start or reset is running (in the live process the record names);
 * - ready: the learner's instance is recorded and its driver says it is alive;
 * - failed: the last start failed, or labd stopped in its middle (the message says which), and
 *   nothing runs;
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

export interface Owner {
  learnerId: string;
  labId: string;
}
const keyOf = (o: Owner) => `${o.learnerId}\0${o.labId}`;

/**
 * The one owner of "which instance is this learner's, and in what phase". The record is a row of
 * SQLite `learner_labs` (instance id, driver choice, phase, who is starting it, the last failure):
 * it survives a labd restart, even a `kill -9`, and is read only through here. The other places
 * are derived from it or serve the driver alone:
 * - `<stateDir>/instances/<id>/state.json` (and its `/run/ebpf-lab` index) is the driver's
 *   record of how to reach an instance the row names, written before it creates anything so a
 *   reap finds what a killed labd left (instances.ts);
 * - in memory: the promise of each start this process runs, to wait for it.
 */
export class InstanceStore {
  private readonly creating = new Map<string, { driver: DriverName; done: Promise<void> }>();

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
    const row = this.db.learnerLabRow(o.learnerId, o.labId);
    if (row?.phase === 'creating') {
      // Another live process's start (a second labd on this state dir) is still creating; one
      // whose starter is gone was interrupted (recoverInterrupted makes it so at labd start).
      if (this.creating.has(keyOf(o)) || starterAlive(row)) return { ...base, phase: 'creating', driver: row.creatingDriver as DriverName };
      return { ...base, phase: 'failed', driver: row.driver as DriverName | null, error: INTERRUPTED };
    }
    const r = await this.running(o);
    if (r) {
      // Running but stuck (a VM paused on a full host disk): still ready, with the reason and fix.
      const problem = await r.inst.problem?.();
      return { ...base, phase: 'ready', instanceId: r.state.id, driver: r.state.driver, state: r.state, ...(problem ? { error: { message: problem } } : {}) };
    }
    const error = row?.phase === 'failed' ? (row.error ?? undefined) : undefined;
    return { ...base, phase: error ? 'failed' : 'down', driver: (row?.driver ?? null) as DriverName | null, ...(error ? { error } : {}) };
  }

  /**
   * At labd start: each start recorded as `creating` whose process is gone was interrupted (labd
   * was killed or crashed mid-start). It becomes `failed` with INTERRUPTED, and what it made is
   * taken down: the instance it recorded (a reset stopped after its `up`) and every instance of
   * this lab in the state dir that its process made and nobody holds. Returns what it did.
   */
  async recoverInterrupted(): Promise<{ owner: Owner; removed: string[]; errors: string[] }[]> {
    const out: { owner: Owner; removed: string[]; errors: string[] }[] = [];
    for (const row of this.db.creatingLabs()) {
      if (this.creating.has(keyOf(row)) || starterAlive(row)) continue;
      const held = new Set(this.db.heldInstances().map((h) => h.instanceId));
      const removed: string[] = [];
      const errors: string[] = [];
      for (const id of listStateIds()) {
        const s = loadState(id);
        if (!s || s.labId !== row.labId) continue;
        const madeByIt = row.starter !== null && (s.driverState as { creatorPid?: number }).creatorPid === row.starter.pid && !held.has(id);
        if (id !== row.instanceId && !madeByIt) continue;
        try {
          await (await getDriver(s.driver)).attach(s).down();
          removed.push(id);
        } catch (e) {
          errors.push(`${id}: ${(e as Error).message}`);
        }
      }
      const owner = { learnerId: row.learnerId, labId: row.labId };
      this.db.setLearnerLab(owner.learnerId, owner.labId, null, row.driver);
      this.db.endCreating(
        owner.learnerId,
        owner.labId,
        errors.length ? { ...INTERRUPTED, hint: `removing what it made failed (${errors.join('; ')}): run lab reap` } : INTERRUPTED,
      );
      out.push({ owner, removed, errors });
    }
    return out;
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
    this.db.beginCreating(o.learnerId, o.labId, driver, { pid: process.pid, start: procStartTime(process.pid) });
    const done = (async () => {
      try {
        await work();
        this.db.endCreating(o.learnerId, o.labId, null);
      } catch (e) {
        this.db.endCreating(o.learnerId, o.labId, failure(e));
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

/** The process that recorded a start still runs (the same pid and start time: not a reused pid). */
function starterAlive(row: LearnerLabRow): boolean {
  return row.starter !== null && row.starter.start !== null && procStartTime(row.starter.pid) === row.starter.start;
}
