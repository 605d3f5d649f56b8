import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isRoot, lab, tempStateDir } from '../../test-support/lab-cli.ts';
import { mountsUnder } from './limits.ts';
import { labAsync, minimalLabsDir } from './test-labs.ts';

// A memory hog, a fork storm, a disk filler and busy loops in one lab, each stopped by the limits
// its lab.yaml sets, while a second lab (default limits) and the host keep answering.

if (!isRoot) console.log('SKIP: limits.test.ts needs root (it builds real namespaces and cgroups)');
const skip = !isRoot && 'needs root';

const LIMITS = { memoryMiB: 128, pids: 64, cpuPercent: 50, workdirMiB: 32 };
const stateDir = isRoot ? tempStateDir() : '';
const env = { ...process.env, ELAB_STATE_DIR: stateDir, ELAB_LABS_DIR: isRoot ? minimalLabsDir(LIMITS) : '' };
const otherEnv = { ...env, ELAB_LABS_DIR: isRoot ? minimalLabsDir() : '' };
let tight = '',
  other = '';
const v1 = (ctrl: string, id: string, file: string) => join('/sys/fs/cgroup', ctrl, 'ebpf-lab', `el${id}`, file);

before(() => {
  if (!isRoot) return;
  tight = lab(['up', 'bare'], { env }).stdout.trim();
  other = lab(['up', 'bare'], { env: otherEnv }).stdout.trim();
  assert.match(tight, /^[a-z0-9]{6}$/);
  assert.match(other, /^[a-z0-9]{6}$/);
});

// One by one: the last test already took `tight` down, and a failing id stops `lab down` there.
after(() => {
  if (isRoot) for (const id of [tight, other]) lab(['down', id], { env });
});

/** Runs `cmd` in the tight lab; meanwhile the other lab and the host must answer. */
async function whileMisbehaving(cmd: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const bad = labAsync(['exec', tight, '--timeout', '90', '--', cmd], env, 120_000);
  await new Promise((r) => setTimeout(r, 1000));
  const ok = await labAsync(['exec', other, '--', 'echo alive'], otherEnv, 60_000);
  assert.equal(ok.stdout.trim(), 'alive', `the other lab answers while the first misbehaves: ${ok.stderr}`);
  assert.equal(execFileSync('/bin/echo', ['host alive'], { encoding: 'utf8' }).trim(), 'host alive');
  return bad;
}

// The controllers labd uses (limits.ts CONTROLLERS); this test reads their v1 files, so on a host
// without some of them (cgroup v2 only) it says so instead of asserting nothing.
const V1_CONTROLLERS = ['memory', 'pids', 'cpu', 'devices'];
const v1Missing = V1_CONTROLLERS.filter((c) => !existsSync(`/sys/fs/cgroup/${c}/cgroup.procs`));
const v1Skip = v1Missing.length ? `no cgroup v1 ${v1Missing.join(', ')} on this host (the behaviour tests below still run)` : false;

test('the lab.yaml limits are written to the v1 controllers, one level above the members', { skip: skip || v1Skip }, () => {
  assert.equal(readFileSync(v1('memory', tight, 'memory.limit_in_bytes'), 'utf8').trim(), String(128 * 1048576));
  assert.equal(readFileSync(v1('pids', tight, 'pids.max'), 'utf8').trim(), '64');
  assert.equal(readFileSync(v1('cpu', tight, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
  // Devices: the deny-all and the lab's own /dev only (a lab may mount a devtmpfs; this stops it opening the host's disks).
  const devices = readFileSync(v1('devices', tight, 'devices.list'), 'utf8');
  assert.doesNotMatch(devices, /^a \*:\* rwm$/m, 'the lab may not open every device');
  assert.match(devices, /^c 1:3 rwm$/m, '/dev/null stays usable');
  const wd = JSON.parse(readFileSync(join(stateDir, 'instances', tight, 'state.json'), 'utf8')).workdir as string;
  assert.deepEqual(mountsUnder(wd), [wd], 'the workdir is a mount of its own');
});

test('a memory hog is killed by the memory limit', { skip }, async () => {
  // Asks for 1 GiB in 16 MiB pieces, touching every page; 128 MiB is the limit.
  const r = await whileMisbehaving('python3 -c "a=[]\nfor i in range(64): a.append(bytearray(16 << 20))\nprint(\'GOT\', len(a))"');
  assert.doesNotMatch(r.stdout, /GOT 64/, 'the hog did not get its gigabyte');
  assert.notEqual(r.code, 0);
  assert.ok(r.ms < 60_000, `stopped within 60 s (took ${r.ms} ms)`);
});

test('a fork storm stops at the pids limit', { skip }, async () => {
  const storm =
    'import os, time\nn = 0\nfor i in range(2000):\n  try:\n    pid = os.fork()\n  except OSError:\n    break\n  if pid == 0:\n    time.sleep(20); os._exit(0)\n  n += 1\nprint("FORKED", n)';
  const r = await whileMisbehaving(`python3 -c '${storm}'; pkill -x -f "python3 -c .*" 2>/dev/null; true`);
  const forked = Number(/FORKED (\d+)/.exec(r.stdout)?.[1] ?? NaN);
  assert.ok(forked < 64, `at most 64 processes in the lab, the storm made ${forked}: ${r.stdout}${r.stderr}`);
  assert.ok(r.ms < 60_000, `stopped within 60 s (took ${r.ms} ms)`);
});

test('a disk filler stops at the workdir size', { skip }, async () => {
  const r = await whileMisbehaving('dd if=/dev/zero of=big bs=1M count=200 2>&1; ls -l big | awk "{print \\"SIZE\\", \\$5}"; rm -f big');
  assert.match(r.stdout, /No space left on device/);
  const size = Number(/SIZE (\d+)/.exec(r.stdout)?.[1]);
  assert.ok(size <= 32 * 1048576, `the file stopped at the 32 MiB workdir (${size} bytes)`);
  assert.ok(r.ms < 60_000, `stopped within 60 s (took ${r.ms} ms)`);
});

test('busy loops are throttled to the CPU share', { skip: skip || (!existsSync('/sys/fs/cgroup/cpu/cgroup.procs') && 'no v1 cpu controller') }, async () => {
  const stat = () => Number(/nr_throttled (\d+)/.exec(readFileSync(v1('cpu', tight, 'cpu.stat'), 'utf8'))?.[1]);
  const before = stat();
  const r = await whileMisbehaving('for i in 1 2 3 4; do timeout 3 sh -c "while :; do :; done" & done; wait; echo DONE');
  assert.match(r.stdout, /DONE/);
  assert.ok(stat() > before, 'the kernel throttled the lab');
});

test('down removes the limits: cgroups in every hierarchy and the workdir mount', { skip }, () => {
  const wd = JSON.parse(readFileSync(join(stateDir, 'instances', tight, 'state.json'), 'utf8')).workdir as string;
  assert.equal(lab(['down', tight], { env }).code, 0);
  for (const c of [...V1_CONTROLLERS, 'unified']) assert.ok(!existsSync(v1(c, tight, '')), `${c} cgroup of the lab is gone`);
  assert.deepEqual(mountsUnder(wd), []);
  assert.ok(!existsSync(join(stateDir, 'instances', tight)));
});
