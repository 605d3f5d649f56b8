import type { DriverChoice } from '@ebpf-lab/api';
import type { DriverName, LoadedLab } from '@ebpf-lab/lab-spec';
import { unmetRequirements } from '../doctor.ts';
import { driverNames, getDriver } from '../drivers/registry.ts';
import type { CapabilityReport } from '../drivers/types.ts';
import { LabError } from '../errors.ts';

export type { DriverChoice };

/**
 * A learner's picker asks every few seconds at most, and a class opens it 30 times at once:
 * one preflight per driver per TTL is enough (vagrant's asks docker, kind's asks docker too).
 */
export const DRIVER_REPORT_TTL_MS = 5_000;
/** A preflight that hangs (a stuck docker daemon) must not hang the picker. */
export const PREFLIGHT_TIMEOUT_MS = 20_000;

interface Cached {
  at: number;
  report: Promise<CapabilityReport>;
}

/** A LabError already says what is wrong (e.g. a driver not in this build); anything else is named. */
function failed(what: string, e: unknown): CapabilityReport {
  if (e instanceof LabError) return { ok: false, missing: [{ what: e.message, fix: e.hint ?? "see labd's log" }] };
  return { ok: false, missing: [{ what: `${what} failed: ${(e as Error).message ?? String(e)}`, fix: "see labd's log" }] };
}

function withTimeout(p: Promise<CapabilityReport>, what: string, ms: number): Promise<CapabilityReport> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CapabilityReport>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          missing: [{ what: `${what} did not answer in ${ms / 1000} s`, fix: 'check the tools it uses (docker info, vagrant --version) by hand' }],
        }),
      ms,
    );
    timer.unref();
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Preflight reports of every registered driver, cached for a few seconds. Preflights only look
 * (PATH, capabilities, `docker info`, images): they never start a machine or a cluster.
 */
export class DriverReports {
  private cache = new Map<string, Cached>();

  /** `timeoutMs` is a parameter so a test can hang a preflight without waiting the full 20 s. */
  constructor(
    private readonly ttlMs = DRIVER_REPORT_TTL_MS,
    private readonly now: () => number = Date.now,
    private readonly timeoutMs = PREFLIGHT_TIMEOUT_MS,
  ) {}

  private cached(key: string, make: () => Promise<CapabilityReport>): Promise<CapabilityReport> {
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.report;
    const report = withTimeout(
      make().catch((e) => failed(key, e)),
      key,
      this.timeoutMs,
    );
    this.cache.set(key, { at: this.now(), report });
    return report;
  }

  /** The driver's own preflight; a driver missing from this build, or one that throws, is not ok. */
  preflight(name: DriverName): Promise<CapabilityReport> {
    return this.cached(`the ${name} driver's preflight`, async () => (await getDriver(name)).preflight());
  }

  /**
   * What starting `lab` on `name` needs here. The netns driver runs on this host's kernel, so the
   * lab's `requires` count too (the same check upLab makes before a netns start).
   */
  async forLab(lab: LoadedLab, name: DriverName): Promise<CapabilityReport> {
    const sup = await getDriver(name).then(
      (d) => d.supports?.(lab) ?? { ok: true as const },
      () => ({ ok: true as const }),
    );
    if (!sup.ok) return { ok: false, missing: [{ what: sup.why, fix: sup.fix }] };
    const pre = await this.preflight(name);
    if (name !== 'netns' || !pre.ok || lab.spec.requires.length === 0) return pre;
    const req = await this.cached(`lab "${lab.spec.id}" on this kernel`, async () => {
      const unmet = await unmetRequirements(lab.spec.requires);
      return { ok: unmet.length === 0, missing: unmet };
    });
    return req;
  }

  /** Every driver the lab names or this build registers; the lab's own first, in lab.yaml order. */
  async list(lab: LoadedLab): Promise<DriverChoice[]> {
    const names = [...new Set<DriverName>([...lab.spec.drivers, ...driverNames()])];
    return Promise.all(
      names.map(async (name) => {
        const r = await this.forLab(lab, name);
        return { name, supported: lab.spec.drivers.includes(name), ok: r.ok, missing: r.missing };
      }),
    );
  }
}
