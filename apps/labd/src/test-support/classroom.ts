/**
 * What the labs' classroom tests (labs/<id>/classroom.test.ts) share: two labs of one kind up on
 * one host through the real `lab` CLI, the lesson's own commands as a learner clicks them, and the
 * checks' verdicts as `step=status`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab, repoRoot } from './lab-cli.ts';

/** The `bash run` blocks of each <Step> of an English lesson (content/en/<slug>.mdx), in order. */
export function lessonCommands(slug: string): Map<string, string[]> {
  const mdx = readFileSync(join(repoRoot, `content/en/${slug}.mdx`), 'utf8');
  const out = new Map<string, string[]>();
  for (const m of mdx.matchAll(/<Step id="([^"]+)">([\s\S]*?)<\/Step>/g)) {
    out.set(m[1]!, [...m[2]!.matchAll(/```bash run\n([\s\S]*?)```/g)].map((b) => b[1]!));
  }
  return out;
}

/** Brings up two labs of `labId` (one after the other) and returns their instance ids. */
export function upTwo(labId: string, env: NodeJS.ProcessEnv): [string, string] {
  return [lab(['up', labId], { env }), lab(['up', labId], { env })].map((r) => {
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  }) as [string, string];
}

export interface Verdict { step: string; status: string; message: string }

/** `lab check` of one instance (every step, or one), as parsed JSON. */
export function check(id: string, env: NodeJS.ProcessEnv, step?: string): Verdict[] {
  return JSON.parse(lab(['check', id, ...(step ? ['--step', step] : []), '--json'], { env }).stdout) as Verdict[];
}

/** Asserts that every step of the instance passes, in this order. */
export function assertAllPass(id: string, env: NodeJS.ProcessEnv, steps: string[]): void {
  const r = check(id, env);
  assert.deepEqual(r.map((c) => `${c.step}=${c.status}`), steps.map((s) => `${s}=pass`), JSON.stringify(r, null, 1));
}
