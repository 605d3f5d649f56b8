// Measures `lab up <lab>` until a shell prompt is ready, N times (default: hello-ebpf, 10 runs).
// In-process (what labd does for a learner): upLab → shell → first prompt on the pty.
// Also times the `lab up` CLI process end to end, which adds Node + tsx start-up.
// Usage: node --import tsx scripts/bench-lab-up.ts [lab] [runs]
import { spawnSync } from 'node:child_process';
import { spawnShell } from '../apps/labd/src/drivers/shell.ts';
import { upLab } from '../apps/labd/src/engine.ts';

const labId = process.argv[2] ?? 'hello-ebpf';
const runs = Number(process.argv[3] ?? 10);
const PROMPT = /lab:\S*:.*# $/m;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function once(): Promise<{ up: number; prompt: number }> {
  const t0 = performance.now();
  const { inst } = await upLab(labId, 'netns');
  const up = performance.now() - t0;
  const term = spawnShell(inst.shellCommand({}), { cols: 80, rows: 24 });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no prompt within 10 s; got: ${JSON.stringify(out.slice(-200))}`)), 10_000);
    term.onData((d) => {
      out += d;
      if (PROMPT.test(out.replace(/\x1b\[[0-9;]*m/g, ''))) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const prompt = performance.now() - t0;
  term.kill();
  await inst.down();
  return { up, prompt };
}

await once(); // warm caches (kernel probe, page cache) so the runs measure steady state
const ups: number[] = [];
const prompts: number[] = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  ups.push(r.up);
  prompts.push(r.prompt);
}
const cli: number[] = [];
for (let i = 0; i < Math.min(runs, 5); i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['apps/labd/bin/lab.mjs', 'up', labId], { encoding: 'utf8' });
  cli.push(performance.now() - t0);
  spawnSync(process.execPath, ['apps/labd/bin/lab.mjs', 'down', r.stdout.trim()]);
}
const f = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms, p90 ${pct(xs, 90).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}`;
console.log(`bench-lab-up ${labId}, ${runs} runs`);
console.log(`  up (namespaces, mounts, files, setup):  ${f(ups)}`);
console.log(`  up until the shell prompt is ready:     ${f(prompts)}`);
console.log(`  'lab up' CLI process end to end (${cli.length} runs, includes node+tsx start): ${f(cli)}`);
