import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalLink } from '../vagrant/ssh-link.ts';
import { agentExec, AgentUnavailable, type AgentTransport } from './agent-client.ts';
import { AGENT_VERSION, agentSocket, agentStartProgram } from './guest-agent.ts';

// The guest's exec agent, run by this host's python3 exactly as the guest runs it (started by
// the same program, over a bash instead of SSH), and the client labd uses. The vm stage runs the
// same pair in real guests (vm-integration.test.ts).
const dir = mkdtempSync(join(tmpdir(), 'elab-agent-'));
const link = new LocalLink();
let starts = 0;
const t: AgentTransport = {
  socketPath: agentSocket(dir),
  reconnect: () => t.startAgent(), // no forward here: the socket is the agent's own
  async startAgent() {
    starts++;
    const r = await link.run(agentStartProgram(dir));
    if (r.code === 127) throw new AgentUnavailable(r.stderr.trim());
    if (r.code !== 0) throw new Error(`agent start failed (${r.code}): ${r.stderr}`);
  },
};
const agentPid = () => Number(readFileSync(join(dir, `agent-${AGENT_VERSION}.pid`), 'utf8'));
const alive = (pattern: string) => spawnSync('pgrep', ['-f', pattern]).status === 0;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LAB_X: "it's $(x)" };
const run = (cmd: string, o: { stdin?: string; timeoutMs?: number; signal?: AbortSignal; cwd?: string } = {}) =>
  agentExec(t, { cmd, cwd: o.cwd ?? join(dir, 'work'), env, stdin: o.stdin, timeoutMs: o.timeoutMs, signal: o.signal });
const skip = spawnSync('python3', ['-c', '1']).status === 0 ? false : 'python3 is not installed on this host';

after(() => {
  try {
    process.kill(agentPid(), 'SIGKILL');
  } catch {
    /* not started */
  }
  spawnSync('pkill', ['-f', `sleep 60[0-9]\\.${process.pid}`]);
  rmSync(dir, { recursive: true, force: true });
});

test('the first exec starts the agent; output, stdin, env, cwd and exit codes come back as they were', { skip }, async () => {
  const r = await run('echo "$PWD [$LAB_X]"; cat; echo err >&2; printf "\\xc3"; printf "\\xa9"; exit 7', { stdin: 'in\n' });
  assert.deepEqual([r.code, r.stdout, r.stderr, r.timedOut], [7, `${join(dir, 'work')} [it's $(x)]\nin\n\u00e9`, 'err\n', false]);
  assert.equal(starts, 1, 'started once');
  assert.equal((await run('kill -9 $$')).code, 137, 'a killed command is 128+9');
  assert.equal((await run('true')).code, 0);
  assert.equal(starts, 1, 'later execs reuse the running agent');
  const bad = await run('true', { cwd: '/proc/1/nope' });
  assert.equal(bad.code, 125, 'a workdir that cannot be made is exit 125, as on the ssh path');
  assert.match(bad.stderr, /cannot enter \/proc\/1\/nope/);
});

test('a timeout or an abort kills the whole process group; background jobs of a finished command live on', { skip }, async () => {
  const tag = `${process.pid}`;
  const slow = await run(`sleep 601.${tag} & echo started; sleep 602.${tag}`, { timeoutMs: 1500 });
  assert.deepEqual([slow.timedOut, slow.code, slow.stdout], [true, 137, 'started\n']);
  assert.equal(alive(`sleep 60[12]\\.${tag}`), false, 'both sleeps are gone');

  const ac = new AbortController();
  const aborted = run(`sleep 603.${tag}`, { signal: ac.signal });
  while (!alive(`sleep 603\\.${tag}`)) await new Promise((r) => setTimeout(r, 50));
  ac.abort();
  assert.equal((await aborted).timedOut, true);
  assert.equal(alive(`sleep 603\\.${tag}`), false, 'aborted: killed');

  const bg = await run(`nohup sleep 604.${tag} >/dev/null 2>&1 & echo ok`);
  assert.equal(bg.stdout, 'ok\n');
  assert.equal(alive(`sleep 604\\.${tag}`), true, 'a job left in the background keeps running');
  spawnSync('pkill', ['-f', `sleep 604\\.${tag}`]);
});

test('execs run concurrently; output over the limit keeps its tail', { skip }, async () => {
  // A serial runner would never finish the first: it waits for a file the second one makes.
  const gate = join(dir, 'gate');
  const [a, b] = await Promise.all([
    run(`while [ ! -e ${gate} ]; do sleep 0.05; done; echo a`, { timeoutMs: 60_000 }),
    run(`sleep 0.2; touch ${gate}; echo b`, { timeoutMs: 60_000 }),
  ]);
  assert.deepEqual([a.stdout, a.timedOut, b.stdout], ['a\n', false, 'b\n']);
  const big = await run('head -c 5000000 /dev/zero | tr "\\0" x; echo END');
  assert.equal(big.stdout.length, 4 * 1024 * 1024, 'kept to 4 MiB');
  assert.ok(big.stdout.endsWith('xEND\n'), 'the tail is kept');
});

test('an agent killed mid-command fails that exec clearly; the next exec starts a new one, which kills the orphan', { skip }, async () => {
  const tag = `${process.pid}`;
  await run('true'); // the agent runs (this test may run alone)
  const before = starts;
  const inflight = run(`sleep 605.${tag}; echo never`);
  while (!alive(`sleep 605\\.${tag}`)) await new Promise((r) => setTimeout(r, 50));
  process.kill(agentPid(), 'SIGKILL');
  await assert.rejects(inflight, /command runner stopped while running the command.*run it again/);
  assert.equal((await run('echo back')).stdout, 'back\n', 'the next exec works');
  assert.equal(starts, before + 1, 'through a new agent');
  assert.equal(alive(`sleep 605\\.${tag}`), false, "the dead agent's command was killed by the new one");
  assert.equal(existsSync(join(dir, 'run-')), false);
});

test('bad input is refused before anything runs', { skip }, async () => {
  await assert.rejects(agentExec(t, { cmd: 'true', cwd: dir, env: { 'A=B': 'x' } }), /"A=B" is not a valid environment variable name/);
  await assert.rejects(run('echo \0'), /NUL byte/);
});
