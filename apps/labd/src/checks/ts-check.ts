/**
 * labd's side of one check.ts run in a child process (checks/child.ts): it answers the child's
 * calls against the lab instance, and turns whatever the child does into one outcome. The child
 * is killed (its whole process group, SIGKILL) after its verdict, at the step's timeout, or when
 * it breaks the protocol, so a check can never hold labd or leave processes behind.
 */
import type { CheckOutcome } from '@ebpf-lab/check-sdk';
import type { LabInstance } from '../drivers/types.ts';
import { takeChild } from './child-pool.ts';
import { lineSplitter, MAX_CHILD_LINE, parseChildLine, type ChildMessage, type ParentMessage } from './protocol.ts';

/**
 * How long node, tsx and the import of check.ts (with its lab's helpers) may take before the step's
 * own timeout starts: in process, a check's import was never counted against it either.
 */
export const CHECK_START_MS = 30_000;

/** stdout and stderr together; a check that prints more than this is stopped (it is only kept for error messages). */
export const MAX_CHILD_OUTPUT = 1024 * 1024;

export interface TsCheckRun {
  checkPath: string;
  labId: string;
  stepId: string;
  mode: 'live' | 'grade';
  timeoutMs: number;
  timeoutS: number;
}

const notYours = 'this is a problem with the check or the lab, not your work';

/** The line of a crashed child's stderr that says what went wrong (not node's version banner). */
export function crashLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Node\.js v\d/.test(l));
  return lines.find((l) => /^([A-Z]\w*)?Error\b/.test(l)) ?? lines.at(-1) ?? '';
}

export function runTsCheck(inst: LabInstance, run: TsCheckRun): Promise<CheckOutcome> {
  const child = takeChild();
  // A slow guest (TCG) stretches the check's own per-command limits like the step's.
  const scale = inst.timeScale ?? 1;
  let started = false;
  // Set when the child says check.ts is imported; until then exec calls cannot come.
  let deadline = Date.now() + CHECK_START_MS + run.timeoutMs;
  const abort = new AbortController();
  let output = 0;
  let stderr = '';
  let settled = false;
  let timer: NodeJS.Timeout | undefined;

  return new Promise<CheckOutcome>((resolve) => {
    const finish = (o: CheckOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort.abort();
      child.kill();
      child.chan.destroy();
      resolve(o);
    };
    const broken = (what: string) => finish({ status: 'error', message: `${what}; ${notYours}` });
    const send = (m: ParentMessage) => {
      if (!settled) child.chan.write(`${JSON.stringify(m)}\n`);
    };

    const count = (c: Buffer, keep: boolean) => {
      output += c.length;
      if (keep) stderr = (stderr + c.toString('utf8')).slice(-8192);
      if (output > MAX_CHILD_OUTPUT) broken(`the check printed more than ${MAX_CHILD_OUTPUT / 1024} KiB`);
    };
    child.proc.stdout?.on('data', (c: Buffer) => count(c, false));
    child.proc.stderr?.on('data', (c: Buffer) => count(c, true));

    const answer = async (m: Extract<ChildMessage, { id: number }>) => {
      try {
        let value: unknown;
        if (m.t === 'exec') {
          // A check's own per-command limits are in host time too: a slow guest stretches them like the step's.
          const left = Math.max(1, Math.min(m.timeoutMs === undefined ? Infinity : m.timeoutMs * scale, deadline - Date.now()));
          value = await inst.exec(m.cmd, { node: m.node, timeoutMs: left, signal: abort.signal });
        } else if (m.t === 'readFile') {
          try {
            value = (await inst.readFile(m.path)).toString('utf8');
          } catch {
            value = null;
          }
        } else {
          value = [...(await inst.pids())];
        }
        send({ t: 'reply', id: m.id, ok: true, value });
      } catch (e) {
        send({ t: 'reply', id: m.id, ok: false, error: (e as Error).message });
      }
    };

    child.chan.on(
      'data',
      lineSplitter(
        MAX_CHILD_LINE,
        (line) => {
          const m = parseChildLine(line);
          if (typeof m === 'string') return broken(`the check process sent ${m}`);
          if (m.t === 'ready') return;
          if (m.t === 'started') {
            // Once: a check that says it again must not push its own deadline out.
            if (started) return;
            started = true;
            clearTimeout(timer);
            deadline = Date.now() + run.timeoutMs;
            timer = setTimeout(() => broken(`the check did not finish within ${run.timeoutS}s`), run.timeoutMs);
            return;
          }
          if (m.t === 'verdict') return finish(m.outcome);
          if (m.t === 'crash') return broken(m.message);
          void answer(m);
        },
        () => broken(`the check process sent a message longer than ${MAX_CHILD_LINE / 1024} KiB`),
      ),
    );

    // A verdict written just before exiting may still be in the channel: give it a moment.
    child.proc.once('exit', (code, signal) =>
      setTimeout(() => {
        const why = crashLine(stderr);
        broken(`the check process ${signal ? `was killed (${signal})` : `exited (code ${code})`} before giving a verdict${why ? `: ${why}` : ''}`);
      }, 100),
    );

    timer = setTimeout(() => broken(`the check process did not start and import ${run.checkPath} within ${CHECK_START_MS / 1000}s`), CHECK_START_MS);
    send({
      t: 'run',
      checkPath: run.checkPath,
      labId: run.labId,
      instanceId: inst.state.id,
      stepId: run.stepId,
      mode: run.mode,
      timeoutMs: run.timeoutMs,
      timeScale: scale,
    });
  });
}
