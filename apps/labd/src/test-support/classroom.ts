/**
 * What the labs' classroom tests (labs/<id>/classroom.test.ts) share: two labs of one kind up on
 * one host through the real `lab` CLI, the lesson's own commands as a learner clicks them, and the
 * checks' verdicts as `step=status`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab, repoRoot, tempStateDir } from './lab-cli.ts';

/** The `bash run` blocks of each <Step> of an English lesson (content/en/<slug>.mdx), in order. */
export function lessonCommands(slug: string): Map<string, string[]> {
  const mdx = readFileSync(join(repoRoot, `content/en/${slug}.mdx`), 'utf8');
  const out = new Map<string, string[]>();
  for (const m of mdx.matchAll(/<Step id="([^"]+)">([\s\S]*?)<\/Step>/g)) {
    out.set(
      m[1]!,
      [...m[2]!.matchAll(/```bash run\n([\s\S]*?)```/g)].map((b) => b[1]!),
    );
  }
  return out;
}

/**
 * Runs the lesson's commands in every lab, interleaved as a classroom is: each lab does a step
 * before any does the next. `node` names the terminal of a step's i-th block (default: the lab's
 * first node); `afterStep` runs in each lab once its blocks of a step are done.
 */
export function runLesson(
  ids: string[],
  steps: Map<string, string[]>,
  env: NodeJS.ProcessEnv,
  opts: { node?: (step: string, i: number) => string; afterStep?: (id: string, step: string) => void } = {},
): void {
  for (const [step, blocks] of steps) {
    for (const id of ids) {
      blocks.forEach((cmd, i) => {
        const node = opts.node?.(step, i);
        const r = lab(['exec', id, ...(node ? ['--node', node] : []), '--timeout', '120', '--', 'bash', '-c', cmd], { env, timeoutMs: 180_000 });
        assert.equal(r.code, 0, `${step} in ${id}${node ? ` on ${node}` : ''}: ${cmd}\n${r.stdout}${r.stderr}`);
      });
      opts.afterStep?.(id, step);
    }
  }
}

/**
 * Two labs of `labId` up on one host (one after the other, in a state dir of their own) for `fn`,
 * and both taken down after it, whatever it did.
 */
export function withTwoLabs(labId: string, fn: (ids: [string, string], env: NodeJS.ProcessEnv) => void): void {
  const env = { ...process.env, ELAB_STATE_DIR: tempStateDir() };
  const ids = [lab(['up', labId], { env }), lab(['up', labId], { env })].map((r) => {
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  }) as [string, string];
  try {
    fn(ids, env);
  } finally {
    lab(['down', ...ids], { env });
  }
}

export interface Verdict {
  step: string;
  status: string;
  message: string;
}

/** `lab check` of one instance (every step, or one), as parsed JSON. */
export function check(id: string, env: NodeJS.ProcessEnv, step?: string): Verdict[] {
  return JSON.parse(lab(['check', id, ...(step ? ['--step', step] : []), '--json'], { env }).stdout) as Verdict[];
}

/** Asserts that every step of the instance passes, in this order. */
export function assertAllPass(id: string, env: NodeJS.ProcessEnv, steps: string[]): void {
  const r = check(id, env);
  assert.deepEqual(
    r.map((c) => `${c.step}=${c.status}`),
    steps.map((s) => `${s}=pass`),
    JSON.stringify(r, null, 1),
  );
}
