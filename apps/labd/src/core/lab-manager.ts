import type { LabView } from '@ebpf-lab/api';
import type { DriverName, LabState, LoadedLab } from '@ebpf-lab/lab-spec';
import type { LabInstance, Progress } from '../drivers/types.ts';
import { findLab, findStep, runScript, upLab } from '../engine.ts';
import { Conflict, Invalid, LabError, NotFound, TooMany, Unavailable, Unmet } from '../errors.ts';
import { InstanceStore, type Phase } from '../instance-store.ts';
import type { SessionRegistry } from '../sessions/registry.ts';
import type { StepStatus, Store } from '../store/store.ts';
import type { LearnerPrincipal } from './principal.ts';
import { DriverReports } from './driver-reports.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { HOST_KERNEL_DRIVERS, isolationRefusal, OPEN_POLICY, type Policy } from './policy.ts';

export type { LabState };
export type { LabView };
export interface Running {
  lab: LoadedLab;
  inst: LabInstance;
}

/** The progress stream of one learner's lab; its phase and instance are the InstanceStore's. */
interface Entry {
  /** Progress of the current (or last) start, replayed to late SSE subscribers. */
  events: Progress[];
  listeners: Set<(p: Progress) => void>;
}

const LAB_STATE: Record<Phase, LabState> = { creating: 'starting', ready: 'ready', failed: 'error', down: 'down' };

const keyOf = (p: LearnerPrincipal) => `${p.learnerId}\0${p.labId}`;
export const isFinal = (p: Progress) => p.phase === 'ready' || p.phase === 'error';

/**
 * Starts, resets and finds each learner's instance of a lab. Decisions for one learner's lab are
 * serialized (two concurrent POST /v1/lab start one lab); work on one instance (checks, builds,
 * reset) is serialized too, so a reset never pulls the lab out from under a running check.
 */
export class LabManager {
  private entries = new Map<string, Entry>();
  private decide = new KeyedMutex();
  private instanceLock = new KeyedMutex();
  /** Preflight reports, cached: GET /v1/lab/drivers and an explicit driver choice share them. */
  readonly drivers = new DriverReports();
  /** Each learner's instance and its phase (creating, ready, failed, down). */
  readonly instances: InstanceStore;

  constructor(
    private readonly store: Store,
    private readonly sessions: SessionRegistry,
    private readonly policy: Policy = OPEN_POLICY,
  ) {
    this.instances = new InstanceStore(store);
  }

  private entry(p: LearnerPrincipal): Entry {
    let e = this.entries.get(keyOf(p));
    if (!e) this.entries.set(keyOf(p), (e = { events: [], listeners: new Set() }));
    return e;
  }

  lab(p: LearnerPrincipal): LoadedLab {
    try {
      return findLab(p.labId);
    } catch (e) {
      throw new NotFound(`lab "${p.labId}" is not available on this server`, (e as Error).message);
    }
  }

  /** The learner's running instance (reattached from its state file after a labd restart), or null. */
  async current(p: LearnerPrincipal): Promise<Running | null> {
    const r = await this.instances.running(p);
    return r ? { lab: this.lab(p), inst: r.inst } : null;
  }

  /**
   * Where the learner's lab stands, without looking at lab.yaml or the lab's files:
   * cheap enough for a live class roster that asks for every learner each second.
   */
  async peek(p: LearnerPrincipal): Promise<{ state: LabState; instanceId: string | null; error?: string }> {
    const r = await this.instances.record(p);
    return { state: LAB_STATE[r.phase], instanceId: r.instanceId, ...(r.error ? { error: r.error.message } : {}) };
  }

  /** The running instance for an endpoint that needs one; 409 when there is none, 503 when it is stuck. */
  async ready(p: LearnerPrincipal): Promise<Running> {
    if (this.instances.isCreating(p)) throw new Conflict('the lab is still starting', 'wait for {phase:"ready"} on GET /v1/lab/events');
    const cur = await this.current(p);
    if (!cur) throw new Conflict('the lab is not running', 'start it with POST /v1/lab');
    // A lab that runs but cannot work (a VM paused on a full host disk) answers at once with why,
    // instead of a check or a save that hangs until its time limit.
    const stuck = await cur.inst.problem?.();
    if (stuck) throw new Unavailable(stuck, 'it goes on by itself once that is fixed (GET /v1/lab says when); Stop or Reset work meanwhile');
    return cur;
  }

  async view(p: LearnerPrincipal): Promise<LabView> {
    const lab = this.lab(p);
    const r = await this.instances.record(p);
    const progress = this.store.progress(p.learnerId, p.labId);
    const state = LAB_STATE[r.phase];
    return {
      labId: p.labId,
      instanceId: r.instanceId,
      state,
      driver: (r.phase === 'ready' || r.phase === 'creating' ? r.driver : null) ?? this.defaultDriver(p, lab),
      nodes: r.state?.nodes ?? [],
      ...(r.error ? { error: r.error.message } : {}),
      steps: lab.steps.map((s) => {
        const pr = progress.get(s.id);
        return { id: s.id, title: s.title, status: pr?.status ?? 'pending', attempts: pr?.attempts ?? 0, lastMessage: pr?.lastMessage ?? null };
      }),
    };
  }

  /**
   * Starts the learner's lab in the background unless it is running or starting already. `driver`
   * (checked: supported by the lab, preflight ok) becomes the learner's remembered choice; without
   * it the remembered one is used, else the lab's first.
   */
  start(p: LearnerPrincipal, driver?: string): Promise<void> {
    return this.decide.run(keyOf(p), async () => {
      const e = this.entry(p);
      const lab = this.lab(p);
      if (this.instances.isCreating(p)) return;
      const cur = await this.current(p);
      if (cur) {
        if (driver && driver !== cur.inst.state.driver) {
          throw new Conflict(
            `the lab is running on the ${cur.inst.state.driver} driver`,
            `to move it to ${driver}, reset it: POST /v1/lab/reset {"driver":"${driver}"}`,
          );
        }
        return;
      }
      const name = await this.chooseDriver(p, lab, driver);
      await this.admitted(p, name, () => this.launch(p, e, name, (progress) => this.up(p, name, progress)));
    });
  }

  /** Takes the learner's lab down (its terminals close); the progress stays. */
  stop(p: LearnerPrincipal): Promise<void> {
    return this.decide.run(keyOf(p), async () => {
      if (this.instances.isCreating(p)) throw new Conflict('the lab is still starting', 'wait for it to be ready, then stop it');
      const cur = await this.current(p);
      if (!cur) return;
      this.sessions.closeInstance(cur.inst.state.id);
      this.instances.assign(p, null, cur.inst.state.driver);
      await this.instanceLock.run(cur.inst.state.id, () => cur.inst.down());
    });
  }

  /**
   * Takes down the learner's labs on a host-kernel driver (progress kept) unless learners are
   * trusted with the host: a class member must not hold one (the admission check covers only
   * starts), or an instructor following them would follow a root shell on this host. Called once
   * the learner is a class member, so no new start gets through; one already starting is awaited.
   * Returns the ids of the labs taken down.
   */
  async endHostKernelLabs(learnerId: string): Promise<string[]> {
    if (this.policy.trustLearners) return [];
    const labIds = new Set([...this.instances.held(), ...this.instances.inFlight()].filter((h) => h.learnerId === learnerId).map((h) => h.labId));
    const ended: string[] = [];
    for (const labId of labIds) {
      const p: LearnerPrincipal = { kind: 'learner', learnerId, labId };
      await this.instances.settled(p);
      const r = await this.instances.running(p);
      if (!r || !HOST_KERNEL_DRIVERS.has(r.state.driver)) continue;
      await this.stop(p);
      ended.push(labId);
    }
    return ended;
  }

  /**
   * Runs `launch` once the policy admits a lab of `driver` for this learner: the caps on labs and
   * the isolation model (HOST_KERNEL_DRIVERS). Admissions are serialized across learners, so two
   * learners starting at once cannot both take the last place.
   */
  private admitted(p: LearnerPrincipal, driver: DriverName, launch: () => void): Promise<void> {
    return this.decide.run('\0admission', async () => {
      const others = (await this.liveLabs()).filter((o) => !(o.learnerId === p.learnerId && o.labId === p.labId));
      if (HOST_KERNEL_DRIVERS.has(driver) && !this.policy.trustLearners) {
        if (this.policy.exposed) throw isolationRefusal(driver, this.policy.exposed);
        if (this.store.inOpenClass(p.learnerId)) throw isolationRefusal(driver, 'this learner is in a class, and a class is many learners');
        if (others.some((o) => o.learnerId !== p.learnerId && HOST_KERNEL_DRIVERS.has(o.driver))) {
          throw isolationRefusal(driver, 'another learner has a lab on it right now, and it serves one learner at a time');
        }
      }
      const mine = others.filter((o) => o.learnerId === p.learnerId).length;
      if (mine >= this.policy.maxLabsPerLearner) {
        throw new TooMany(
          `you have ${mine} labs running, the most one learner may have`,
          'stop a lab you are done with ("Stop lab" in its panel, or DELETE /v1/lab), then start this one',
          { reason: 'learner-lab-limit', limit: this.policy.maxLabsPerLearner },
        );
      }
      if (others.length >= this.policy.maxLabs) {
        throw new Unavailable(
          `this server already runs ${others.length} labs, its limit`,
          'try again when someone stops a lab; the operator can raise --max-labs (ELAB_MAX_LABS)',
          { reason: 'lab-limit', limit: this.policy.maxLabs },
        );
      }
      launch();
    });
  }

  /** Every lab that is starting or alive, with its learner and driver. */
  private async liveLabs(): Promise<{ learnerId: string; labId: string; driver: string }[]> {
    const out = new Map<string, { learnerId: string; labId: string; driver: string }>();
    for (const c of this.instances.inFlight()) out.set(keyOf({ kind: 'learner', ...c }), c);
    for (const h of this.instances.held()) {
      const k = keyOf({ kind: 'learner', ...h });
      if (out.has(k)) continue;
      const r = await this.instances.running(h);
      if (r) out.set(k, { learnerId: h.learnerId, labId: h.labId, driver: r.state.driver });
    }
    return [...out.values()];
  }

  /** The driver a start without a choice uses: the learner's last choice if the lab still has it, else the lab's first. */
  private defaultDriver(p: LearnerPrincipal, lab: LoadedLab): DriverName {
    const remembered = this.instances.owned(p).driver;
    return remembered && lab.spec.drivers.includes(remembered) ? remembered : lab.spec.drivers[0]!;
  }

  /**
   * An explicit choice is refused before anything is touched: 400 when the lab does not run on it,
   * 424 (Failed Dependency: the host lacks what the driver needs) with each missing thing and its fix.
   * Then it is remembered, so a reload or the next visit starts on it too.
   */
  private async chooseDriver(p: LearnerPrincipal, lab: LoadedLab, asked: string | undefined): Promise<DriverName> {
    if (asked === undefined) return this.defaultDriver(p, lab);
    const allowed = lab.spec.drivers;
    if (!(allowed as string[]).includes(asked)) {
      throw new Invalid('driver', `lab "${lab.spec.id}" does not run on the ${asked} driver`, `it runs on: ${allowed.join(', ')}`, { drivers: allowed });
    }
    const name = asked as DriverName;
    const r = await this.drivers.forLab(lab, name);
    if (!r.ok) {
      throw new Unmet(`the ${name} driver cannot run here: ${r.missing.map((m) => m.what).join('; ')}`, r.missing.map((m) => m.fix).join('; '), {
        driver: name,
        missing: r.missing,
      });
    }
    this.instances.assign(p, this.instances.owned(p).instanceId, name);
    return name;
  }

  /** Takes the lab down and brings up a fresh one; with `step`, the steps before it are solved. */
  reset(p: LearnerPrincipal, stepId?: string, driver?: string): Promise<void> {
    return this.decide.run(keyOf(p), async () => {
      const e = this.entry(p);
      if (this.instances.isCreating(p)) throw new Conflict('the lab is already starting', 'wait for it to be ready, then reset');
      const lab = this.lab(p);
      const before = stepId ? lab.steps.slice(0, lab.steps.indexOf(findStepOr404(lab, stepId))) : [];
      // Without a choice a reset keeps the driver the lab runs on.
      const name = driver === undefined ? ((await this.current(p))?.inst.state.driver ?? this.defaultDriver(p, lab)) : await this.chooseDriver(p, lab, driver);
      await this.admitted(p, name, () =>
        this.launch(p, e, name, async (progress) => {
          const old = await this.current(p);
          if (old) {
            progress({ phase: 'down', message: `removing lab ${old.inst.state.id}`, fraction: 0 });
            await this.sessions.closeInstance(old.inst.state.id);
            this.instances.assign(p, null, name);
            await this.instanceLock.run(old.inst.state.id, () => old.inst.down());
          }
          const { inst } = await this.up(p, name, progress);
          for (const s of before) {
            progress({ phase: 'solve', message: `solving step "${s.id}" so the lab starts at "${stepId}"`, fraction: 0.9 });
            await runScript(inst, s.solve, `the solve script of step "${s.id}"`, Math.max(60, s.timeoutSeconds * 4) * 1000, { LAB_STEP: s.id });
          }
        }),
      );
    });
  }

  /** Runs work on one instance exclusively (checks and builds must not race a reset or each other). */
  withInstance<T>(r: Running, fn: () => Promise<T>): Promise<T> {
    return this.instanceLock.run(r.inst.state.id, fn);
  }

  /** Progress of the current start: what happened so far, then live events until ready or error. */
  subscribe(p: LearnerPrincipal, listener: (p: Progress) => void): { past: Progress[]; active: boolean; unsubscribe: () => void } {
    const e = this.entry(p);
    if (!this.instances.isCreating(p)) return { past: [], active: false, unsubscribe: () => {} };
    e.listeners.add(listener);
    return { past: [...e.events], active: true, unsubscribe: () => e.listeners.delete(listener) };
  }

  /** Waits for starts in flight, so a shutting-down labd records the instances it made. */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.race([Promise.allSettled(this.instances.pending()), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private async up(p: LearnerPrincipal, driver: DriverName, progress: (x: Progress) => void): Promise<Running> {
    // upLab's own 'ready' is held back: ready is announced only once the instance is recorded,
    // so a client that reacts to it with GET /v1/lab sees the lab as ready.
    const r = await upLab(p.labId, driver, (x) => {
      if (x.phase !== 'ready') progress(x);
    });
    this.instances.assign(p, r.inst.state.id, r.inst.state.driver);
    return r;
  }

  private launch(p: LearnerPrincipal, e: Entry, driver: DriverName, work: (progress: (x: Progress) => void) => Promise<unknown>): void {
    e.events = [];
    const emit = (x: Progress) => {
      e.events.push(x);
      for (const l of [...e.listeners]) l(x);
    };
    const failure = (err: unknown) => ({ message: (err as Error)?.message || String(err), hint: err instanceof LabError ? err.hint : undefined });
    this.instances
      .create(
        p,
        driver,
        async () => {
          await work(emit);
        },
        failure,
      )
      .then(
        () => emit({ phase: 'ready', message: 'lab ready', fraction: 1 }),
        (err: unknown) => {
          const f = failure(err);
          emit({ phase: 'error', message: f.hint ? `${f.message} (${f.hint})` : f.message });
        },
      )
      .finally(() => e.listeners.clear());
  }
}

function findStepOr404(lab: LoadedLab, stepId: string) {
  try {
    return findStep(lab, stepId);
  } catch (e) {
    throw new NotFound((e as LabError).message, (e as LabError).hint);
  }
}
