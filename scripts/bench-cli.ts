/**
 * The `lab` CLI as whole processes, the way a user waits for it: `lab list` and `lab up hello-ebpf`
 * (each followed by an untimed `lab down`), from the build in apps/labd/dist and from the sources
 * through tsx, interleaved in one run so machine load hits both alike, beside `node -e 0` (Node's
 * own start on this machine). Prints medians and the load average.
 *   node --import tsx scripts/bench-cli.ts [--runs 9] [--skip-source] [--anchor OTHER/apps/labd/bin/lab.mjs]
 * (root: `lab up` makes network namespaces). --anchor runs another checkout's build in the same
 * interleaved loop (before/after of a change under the same load), e.g. from `git archive BASE`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 9);
const anchor = arg('--anchor');
const lab = join(import.meta.dirname, '../apps/labd/bin/lab.mjs');
const stateDir = mkdtempSync(join(tmpdir(), 'elab-bench-cli-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const modes: Record<string, { bin: string; env: Record<string, string> }> = { built: { bin: lab, env: { ELAB_REQUIRE_BUILD: '1' } } };
if (!process.argv.includes('--skip-source')) modes.source = { bin: lab, env: { ELAB_FROM_SOURCE: '1' } };
if (anchor) modes.anchor = { bin: anchor, env: { ELAB_REQUIRE_BUILD: '1' } };
// CPU time (user+sys of the command and the children it waited for, from bash's `time`, in ms) as
// well as wall time: on a shared machine the wall time mostly measures the wait for a core, the
// CPU time what the command itself costs. (Detached children, such as a lab's namespace holders,
// are not waited for and not counted.)
function run(args: string[], env: Record<string, string>): { ms: number; cpuMs: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync('/bin/bash', ['-c', 'TIMEFORMAT="CPU %3U %3S"; time "$@"', 'bench', process.execPath, ...args], {
    env: { ...process.env, ELAB_STATE_DIR: stateDir, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.slice(1).join(' ')} exited ${r.status}: ${r.stderr}`);
  const cpu = /CPU (\S+) (\S+)\s*$/.exec(r.stderr);
  return { ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, stdout: r.stdout };
}

const t: Record<string, number[]> = {};
const cpu: Record<string, number[]> = {};
const add = (k: string, r: { ms: number; cpuMs: number }) => {
  (t[k] ??= []).push(r.ms);
  (cpu[k] ??= []).push(r.cpuMs);
};
const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
try {
  for (let r = 0; r < RUNS; r++) {
    add('node -e 0', run(['-e', '0'], {}));
    for (const [mode, { bin, env }] of Object.entries(modes)) {
      add(`lab list (${mode})`, run([bin, 'list'], env));
      const up = run([bin, 'up', 'hello-ebpf'], env);
      add(`lab up hello-ebpf (${mode})`, up);
      run([bin, 'down', up.stdout.trim()], env);
    }
  }
} finally {
  const left = spawnSync(process.execPath, [lab, 'list', '--json'], { env: { ...process.env, ELAB_STATE_DIR: stateDir }, encoding: 'utf8' });
  const ids = (JSON.parse(left.stdout || '[]') as { id: string }[]).map((x) => x.id);
  if (ids.length) spawnSync(process.execPath, [lab, 'down', ...ids], { env: { ...process.env, ELAB_STATE_DIR: stateDir } });
  rmSync(stateDir, { recursive: true, force: true });
}
const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`bench-cli: ${RUNS} runs each, interleaved; load average ${load0} before, ${load1} after`);
for (const [k, v] of Object.entries(t))
  console.log(
    `  ${k.padEnd(30)} wall median ${median(v).toFixed(0).padStart(5)} ms (min ${Math.min(...v)
      .toFixed(0)
      .padStart(5)}), CPU median ${median(cpu[k]!).toFixed(0).padStart(5)} ms`,
  );
