import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InstanceState } from '../types.ts';
import { LocalLink } from './ssh-link.ts';
import { processAlive as alive } from './vagrant-cli.ts';
import { LibvirtInstance, VagrantInstance } from './vagrant-instance.ts';
import { httpErrorOf } from '../../http/errors.ts';

// Everything VagrantInstance sends into the guest (exec wrapper, env, timeouts, file access),
// run by LocalLink with this host's bash against a temp dir standing in for the guest workdir.
// The same programs over real SSH are vagrant-integration.test.ts's job.
const root = mkdtempSync(join(tmpdir(), 'vagrant-inst-'));
const workdir = join(root, 'work');
const pidDir = join(root, 'pids');
mkdirSync(workdir);
const state: InstanceState = {
  id: 'abc123',
  labId: 'hello-ebpf',
  driver: 'vagrant',
  createdAt: '',
  workdir,
  nodes: ['lab'],
  driverState: { provider: 'docker', machine: 'lab', hostDir: root, phase: 'ready', creatorPid: process.pid },
};
const inst = new VagrantInstance(state, { link: new LocalLink(), pidDir });

test('exec: cwd is the workdir, the lab env is set, and hostile values arrive unchanged', async () => {
  const nasty = `it's "quoted" $(touch ${root}/pwned) \`x\` \\ ; & | \n newline ${'$'}HOME`;
  const r = await inst.exec('printf "%s|%s|%s|%s|%s" "$PWD" "$LAB_WORKDIR" "$LAB_NODE" "$LAB_INSTANCE" "$WEIRD"', { env: { WEIRD: nasty } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${workdir}|${workdir}|lab|abc123|${nasty}`);
  assert.ok(!readdirSync(root).includes('pwned'), 'nothing in a value was executed');
  await assert.rejects(inst.exec('true', { env: { 'BAD NAME': 'x' } }), /not a valid environment variable name/);
});

test('exec: stdin reaches the command, exit codes and stderr come back', async () => {
  const r = await inst.exec('tr a-z A-Z; echo oops >&2; exit 7', { stdin: 'hello\n' });
  assert.deepEqual([r.code, r.stdout, r.stderr.trim(), r.timedOut], [7, 'HELLO\n', 'oops', false]);
  assert.deepEqual(readdirSync(pidDir), [], 'the pid file of a finished command is removed');
});

test('exec: a timeout kills the whole process group of the command, promptly', { timeout: 60_000 }, async () => {
  // Returning at all is the proof (the command would run 600 s); the test's own timeout is the ceiling.
  const r = await inst.exec(`sleep 300 & echo $! > ${root}/bg.pid; sleep 600`, { timeoutMs: 800 });
  assert.equal(r.timedOut, true);
  const bg = Number(readFileSync(join(root, 'bg.pid'), 'utf8'));
  for (let i = 0; i < 300 && alive(bg); i++) await new Promise((res) => setTimeout(res, 100));
  assert.equal(alive(bg), false, 'the background sleep of the timed-out command is gone too (waited up to 30 s)');
});

test('exec: an abort signal ends the command like a timeout', { timeout: 60_000 }, async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const r = await inst.exec('sleep 600', { signal: ac.signal });
  assert.equal(r.timedOut, true, 'returned long before the 600 s sleep, as timed out');
});

test('exec: what a finished command leaves running in the background stays (labs start loaders that way)', async () => {
  const r = await inst.exec(`nohup sleep 30 > /dev/null 2>&1 < /dev/null & echo $!`, { timeoutMs: 5000 });
  const pid = Number(r.stdout.trim());
  assert.equal(r.code, 0);
  assert.equal(alive(pid), true);
  process.kill(pid, 'SIGKILL');
});

test('exec: an unknown node is refused with the nodes there are', async () => {
  await assert.rejects(inst.exec('true', { node: 'n2' }), /has no node "n2"/);
});

test('files: write then read back, binary-safe, parents created', async () => {
  const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 39, 34]);
  await inst.writeFile('a/b/c.bin', bytes);
  assert.deepEqual(await inst.readFile('a/b/c.bin'), bytes);
  await inst.writeFile('a/b/c.bin', 'second');
  assert.equal((await inst.readFile('a/b/c.bin')).toString(), 'second');
});

test('files: the same refusals (and HTTP statuses) as the host-side workdir', async () => {
  symlinkSync('/etc/hostname', join(workdir, 'link-out'));
  symlinkSync('/etc', join(workdir, 'dir-out'));
  writeFileSync(join(workdir, 'big'), Buffer.alloc(1024 * 1024 + 1));
  // The status labd answers with: the refusal's kind through the one HTTP mapping.
  const status = async (p: Promise<unknown>) => {
    try {
      await p;
      return 200;
    } catch (e) {
      return httpErrorOf(e).status;
    }
  };
  assert.equal(await status(inst.readFile('../x')), 403);
  assert.equal(await status(inst.readFile('/etc/hostname')), 400);
  assert.equal(await status(inst.readFile('')), 400);
  assert.equal(await status(inst.readFile('missing')), 404);
  assert.equal(await status(inst.readFile('a')), 400);
  assert.equal(await status(inst.readFile('link-out')), 403);
  assert.equal(await status(inst.readFile('dir-out/hostname')), 403);
  assert.equal(await status(inst.readFile('big')), 413);
  assert.equal(await status(inst.writeFile('link-out', 'x')), 403);
  assert.equal(await status(inst.writeFile('dir-out/x', 'x')), 403);
  assert.equal(await status(inst.writeFile('a', 'x')), 400);
  assert.equal(await status(inst.writeFile('x', Buffer.alloc(1024 * 1024 + 1))), 413);
  assert.equal(readFileSync('/etc/hostname', 'utf8') !== 'x', true);
});

test('pids: numbers from /proc as the "guest" sees them', async () => {
  const pids = await inst.pids();
  assert.ok(pids.has(1) && pids.has(process.pid));
});

test("libvirt on TCG: the load-scaled factor is applied once (exec limits pass through, the driver's own are scaled)", async () => {
  const programs: string[] = [];
  const link = {
    run: async (p: string) => {
      programs.push(p);
      return { code: 0, stdout: '1\n', stderr: '', ms: 1, timedOut: false };
    },
    ptyArgv: (): [string, string[]] => ['true', []],
  };
  const lv = (extra: Record<string, unknown>) =>
    new LibvirtInstance({ ...state, driverState: { ...state.driverState, provider: 'libvirt', ...extra } }, { link, pidDir });
  const cluster = lv({ libvirtDriver: 'qemu', nodesEnv: 'a:192.168.10.10:172.16.0.0/24' });
  const single = lv({ libvirtDriver: 'qemu' });
  assert.equal(lv({ libvirtDriver: 'kvm' }).timeScale, 1);
  // The load average moves between two reads: ranges (the vm driver's factor is 4 to 16).
  assert.ok(cluster.timeScale >= 8 && cluster.timeScale <= 32, `a cluster's VMs share the cores: twice the vm driver's factor (${cluster.timeScale})`);
  assert.ok(single.timeScale >= 4 && single.timeScale <= 16, `one VM: the vm driver's factor (${single.timeScale})`);
  // The engine and ts-check scale the limits they pass; exec must not scale them again.
  await cluster.exec('true', { timeoutMs: 10_000 });
  assert.match(programs.pop()!, /timeout -s KILL 15 /);
  // The driver's own commands (pids, files) have host-time limits: those are scaled here.
  await cluster.pids();
  const limit = Number(/timeout -s KILL (\d+) /.exec(programs.pop()!)![1]);
  assert.ok(limit >= 15 * 8 + 5 && limit <= 15 * 32 + 6, `pids limit ${limit} s: 15 s times the cluster's factor`);
});
