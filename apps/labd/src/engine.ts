import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DriverName, LoadedLab, LoadedStep } from '@ebpf-lab/lab-spec';
import type { CheckResult } from '@ebpf-lab/check-sdk';
import { SpecError } from '@ebpf-lab/lab-spec';
import { runCheck } from './checks/run-check.ts';
import { config } from './config.ts';
import { getDriver } from './drivers/registry.ts';
import { LabCatalog } from './lab-catalog.ts';
import type { LabInstance, OnProgress } from './drivers/types.ts';
import { unmetRequirements } from './doctor.ts';
import { LabError, missingError, usageError } from './errors.ts';
import { listStateIds, loadState } from './instances.ts';

let catalog: LabCatalog | undefined;

/** The process's one catalog of config().labsDir: loaded once, reloaded lab by lab as files change. */
export function labCatalog(): LabCatalog {
  return (catalog ??= new LabCatalog(config().labsDir));
}

export function allLabs() {
  return labCatalog().list();
}

/** Finds a lab by id. A broken lab.yaml is reported for that lab alone. */
export function findLab(id: string): LoadedLab {
  return labCatalog().find(id);
}

export function findStep(lab: LoadedLab, stepId: string): LoadedStep {
  const s = lab.steps.find((x) => x.id === stepId);
  if (!s) throw usageError(`lab "${lab.spec.id}" has no step "${stepId}"`, `steps: ${lab.steps.map((x) => x.id).join(', ')}`);
  return s;
}

/** Runs a lab script (setup, solve, grade) inside the lab; throws with its output when it fails. */
export async function runScript(inst: LabInstance, path: string, what: string, limitMs: number, env: Record<string, string> = {}): Promise<void> {
  const timeoutMs = limitMs * (inst.timeScale ?? 1);
  const r = await inst.exec(readFileSync(path, 'utf8'), { timeoutMs, env });
  if (r.code !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new LabError(`${what} (${path}) ${r.timedOut ? `timed out after ${timeoutMs / 1000}s` : `exited ${r.code}`}:\n${tail}`);
  }
}

export async function upLab(labId: string, driverName: DriverName | undefined, onProgress?: OnProgress): Promise<{ lab: LoadedLab; inst: LabInstance }> {
  const lab = findLab(labId);
  const name = driverName ?? lab.spec.drivers[0]!;
  if (!lab.spec.drivers.includes(name)) throw usageError(`lab "${labId}" does not run on the ${name} driver`, `it supports: ${lab.spec.drivers.join(', ')}`);
  const driver = await getDriver(name);
  const sup = driver.supports?.(lab) ?? { ok: true };
  if (!sup.ok) throw usageError(`lab "${labId}" cannot run on the ${name} driver: ${sup.why}`, sup.fix);
  if (name === 'netns') {
    // The netns driver runs on this host's kernel and tools, so the lab's requirements are checked here.
    const pre = await driver.preflight();
    if (!pre.ok) throw missingError(pre.missing.map((m) => m.what).join('; '), pre.missing.map((m) => m.fix).join('; '));
    const unmet = await unmetRequirements(lab.spec.requires);
    if (unmet.length)
      throw missingError(`lab "${labId}" needs what this machine lacks: ${unmet.map((u) => u.what).join('; ')}`, unmet.map((u) => u.fix).join('; '));
  }
  const inst = await driver.up(lab, onProgress);
  try {
    if (lab.setup) {
      onProgress?.({ phase: 'setup', message: 'running the lab setup', fraction: 0.8 });
      await runScript(inst, lab.setup, 'the lab setup', lab.spec.setupTimeoutSeconds * 1000);
    }
  } catch (e) {
    await inst.down();
    throw e;
  }
  onProgress?.({ phase: 'ready', message: 'lab ready', fraction: 1 });
  return { lab, inst };
}

/** Reattaches to an instance made by this or an earlier process. */
export async function openInstance(id: string): Promise<{ lab: LoadedLab; inst: LabInstance }> {
  const state = loadState(id);
  if (!state) {
    const ids = listStateIds();
    throw usageError(`no lab instance "${id}"`, ids.length ? `running instances: ${ids.join(', ')} (lab list)` : 'start one with: lab up <lab>');
  }
  const inst = (await getDriver(state.driver)).attach(state);
  if (!(await inst.alive())) throw new LabError(`lab instance "${id}" is no longer running (its holder is gone)`, 'clean it up with: lab reap', 1);
  return { lab: findLab(state.labId), inst };
}

export async function checkSteps(inst: LabInstance, lab: LoadedLab, stepId?: string, mode: 'live' | 'grade' = 'live'): Promise<CheckResult[]> {
  const steps = stepId ? [findStep(lab, stepId)] : lab.steps;
  const out: CheckResult[] = [];
  for (const s of steps) out.push(await runCheck(inst, lab, s, mode));
  return out;
}

export async function solveSteps(inst: LabInstance, lab: LoadedLab, stepId?: string): Promise<void> {
  const steps = stepId ? [findStep(lab, stepId)] : lab.steps;
  for (const s of steps) await runScript(inst, s.solve, `the solve script of step "${s.id}"`, Math.max(60, s.timeoutSeconds * 4) * 1000, { LAB_STEP: s.id });
}

/** Copies a learner's submission over the workdir through the driver's confined file API. */
export async function copySubmission(inst: LabInstance, dir: string): Promise<string[]> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw usageError(`submission "${dir}" is not a folder`, "pass the folder that holds the learner's lab files");
  const copied: string[] = [];
  const walk = async (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      // .lab/ holds the lab's own helper scripts: a submission may not replace them.
      if (e.name === '.output' || e.name === 'node_modules' || (!rel && e.name === '.lab')) continue;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) {
        await inst.writeFile(r, readFileSync(join(dir, r)));
        copied.push(r);
      }
    }
  };
  await walk('');
  return copied;
}

export { SpecError };
