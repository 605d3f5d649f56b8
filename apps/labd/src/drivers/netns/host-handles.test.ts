import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, constants as fsc } from 'node:fs';
import type { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { isRoot, lab, labBin, tempStateDir } from '../../test-support/lab-cli.ts';
import { minimalLabsDir } from './test-labs.ts';

// What a netns lab can still get hold of on the host besides paths (isolation.test.ts): descriptors
// that whoever started `lab` left open, and device nodes through a devtmpfs mounted from the lab.
// docs/netns-isolation.md says what holds.

if (!isRoot) console.log('SKIP: host-handles.test.ts needs root (it builds real namespaces)');
const skip = !isRoot && 'needs root';
const env = { ...process.env, ELAB_STATE_DIR: isRoot ? tempStateDir() : '', ELAB_LABS_DIR: isRoot ? minimalLabsDir() : '' };
// High like the review's 251: node itself does not pass on its lowest inherited descriptors (fd 9 vanished).
const EXTRA_FD = 40;
let id = '';

/**
 * `lab ARGS` started the way a shell with a stray descriptor starts it: fd 40 is the write end of a
 * pipe this test holds the read end of. Resolves at exit, not at the
 * pipe's EOF: a lab process that kept fd 40 would otherwise hold this up until it ends.
 */
function labWithStrayFd(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdio = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(EXTRA_FD - 3).fill('ignore'), 'pipe'] as const;
  const child = spawn(process.execPath, [labBin, ...args], { env, stdio: [...stdio] });
  let stdout = '',
    stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const stray = (child.stdio as unknown as Readable[])[EXTRA_FD]!;
  stray.on('error', () => {
    /* only held open, never read */
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const ended = (s: Readable) =>
    new Promise<void>((r) => {
      if (s.readableEnded) r();
      else s.once('close', () => r());
    });
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      void Promise.all([ended(child.stdout!), ended(child.stderr!)]).then(() => {
        stray.destroy();
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  });
}

const fdsOf = (listing: string, dir: string) =>
  (listing.split(`${dir}:\n`)[1] ?? '')
    .split('\n\n')[0]!
    .split('\n')
    .map((l) => / (\d+) -> /.exec(l)?.[1])
    .filter(Boolean)
    .map(Number);

before(async () => {
  if (!isRoot) return;
  const up = await labWithStrayFd(['up', 'bare']);
  assert.equal(up.code, 0, up.stderr);
  id = up.stdout.trim().split('\n').pop()!;
  assert.match(id, /^[a-z0-9]{6}$/);
});

after(() => {
  if (isRoot && id) lab(['down', id], { env });
});

test("descriptors inherited by lab reach neither the lab's PID 1 nor an exec: only 0-2", { skip }, async () => {
  const r = await labWithStrayFd(['exec', id, '--', 'ls -l /proc/1/fd /proc/self/fd']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fdsOf(r.stdout, '/proc/1/fd'), [0, 1, 2], r.stdout);
  // ls's own directory descriptor is fd 3 (/proc/self/fd itself); nothing else beyond 0-2.
  const own = fdsOf(r.stdout, '/proc/self/fd').filter((fd) => fd > 2);
  assert.ok(own.length <= 1 && !own.includes(EXTRA_FD) && /3 -> \/proc\/\d+\/fd/.test(r.stdout), r.stdout);
});

// Device nodes this host has and the test (the host's root) can open: each must be refused in a
// lab even when reached through a devtmpfs the lab mounts itself. Without any, nothing is proved.
const HOST_DEVICES = ['kvm', 'loop0', 'loop-control', 'zram0', 'vda', 'sda', 'nvme0n1', 'mem', 'port', 'hwrng', 'fuse', 'console', 'btrfs-control'];
const openableOnHost = () =>
  HOST_DEVICES.filter((d) => {
    try {
      closeSync(openSync(`/dev/${d}`, fsc.O_RDONLY | fsc.O_NONBLOCK));
      return true;
    } catch {
      return false;
    }
  });

test("a devtmpfs mounted in a lab opens none of the host's devices (devices cgroup)", { skip }, () => {
  const devs = openableOnHost();
  assert.ok(devs.length > 0, `none of ${HOST_DEVICES.join(', ')} opens on this host: the test cannot tell a refusal from an absence`);
  const probe = `import os,errno
for d in ['null', ${devs.map((d) => `'${d}'`).join(', ')}]:
    try: os.close(os.open('/tmp/hostdev/'+d, os.O_RDONLY|os.O_NONBLOCK)); print(d, 'opened')
    except OSError as e: print(d, errno.errorcode[e.errno])`;
  const r = lab(['exec', id, '--', `mkdir -p /tmp/hostdev && mount -t devtmpfs -o ro lab-devtmpfs /tmp/hostdev && echo MOUNTED && python3 -c "${probe}"`], {
    env,
  });
  if (!r.stdout.includes('MOUNTED')) {
    // Refusing the mount is as good, but only a refusal: not an exec that failed for another reason.
    assert.match(r.stderr, /mount: .*(permission denied|not permitted)/i, `the devtmpfs mount neither worked nor was refused:\n${r.stdout}${r.stderr}`);
    return;
  }
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes('null opened'), `the lab's own devices still open from the new mount:\n${r.stdout}${r.stderr}`);
  for (const d of devs) assert.ok(lines.includes(`${d} EPERM`), `/dev/${d} of the host must be refused in the lab:\n${r.stdout}${r.stderr}`);
});
