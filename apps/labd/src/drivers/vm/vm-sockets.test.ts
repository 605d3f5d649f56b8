import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { ownSocketProblem } from '../vagrant/ssh-link.ts';
import { execSocket, privateSocketDir, removeSocketsOutside, vmPaths } from './vm-instance.ts';

// Review5 #4: a long state dir put a guest's control, QMP and exec sockets straight into the
// world-writable temp dir, where another local user could make the exec socket first; and
// forward() took "failed, but something is at the path" as success.
const dir = mkdtempSync(join(tmpdir(), 'elab-vmsock-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const listen = (path: string) =>
  new Promise<() => void>((res) => {
    const s = createServer();
    s.listen(path, () => res(() => s.close()));
  });

test('a long state dir puts the sockets in a private 0700 dir of labd, which destroy removes', () => {
  const hostDir = join(dir, 'a-state-dir-for-the-class-of-autumn-2026-with-a-long-name', 'instances', 'abc123');
  mkdirSync(hostDir, { recursive: true });
  const p = vmPaths('abc123', hostDir);
  const sockDir = dirname(p.controlPath);
  assert.notEqual(sockDir, hostDir, 'too long for sockaddr_un in the instance dir');
  assert.notEqual(sockDir, tmpdir(), 'never the shared temp dir itself');
  assert.equal(dirname(p.qmpSocket!), sockDir);
  const st = lstatSync(sockDir);
  assert.equal(st.mode & 0o777, 0o700);
  assert.equal(st.uid, process.getuid!());
  assert.equal(dirname(vmPaths('abc123', hostDir).controlPath), sockDir, "the same dir again (the warm pool recomputes a taken guest's paths)");
  const d = { ...p, name: 'elabc123' };
  assert.equal(dirname(execSocket(d)), sockDir);
  assert.ok(Buffer.byteLength(execSocket(d)) < 100, execSocket(d));
  writeFileSync(p.controlPath, '');
  removeSocketsOutside(d);
  assert.equal(existsSync(sockDir), false, 'removed with the guest');
  // A short one keeps them in the instance dir.
  const short = vmPaths('x1', join(dir, 'i'));
  assert.equal(dirname(short.controlPath), join(dir, 'i'));
});

test('a socket dir someone else made first (the name is guessable) is not used', () => {
  const name = `elt${process.pid}`;
  const squatted = join(tmpdir(), `elab-sock-${name}-${process.getuid!()}`);
  mkdirSync(squatted, { mode: 0o700 });
  chownSync(squatted, 65534, 65534);
  try {
    const got = privateSocketDir(name);
    assert.notEqual(got, squatted);
    assert.equal(lstatSync(got).uid, process.getuid!());
    assert.equal(lstatSync(got).mode & 0o777, 0o700);
    rmSync(got, { recursive: true });
    // Ours but opened up to others: not used either.
    chownSync(squatted, process.getuid!(), process.getgid!());
    chmodSync(squatted, 0o777);
    const again = privateSocketDir(name);
    assert.notEqual(again, squatted);
    rmSync(again, { recursive: true });
  } finally {
    rmSync(squatted, { recursive: true, force: true });
  }
});

test('only a 0600 socket of labd in a dir no one else can write is connected to', async () => {
  const priv = mkdtempSync(join(dir, 'priv-'));
  const good = join(priv, 'good.sock');
  const close = await listen(good);
  try {
    chmodSync(good, 0o600);
    assert.equal(ownSocketProblem(good), null);
    chmodSync(good, 0o666);
    assert.match(ownSocketProblem(good) ?? '', /mode is 666/);
    chmodSync(good, 0o600);
    chownSync(good, 65534, 65534);
    assert.match(ownSocketProblem(good) ?? '', /belongs to uid 65534/);
  } finally {
    close();
  }
  const file = join(priv, 'file');
  writeFileSync(file, '');
  assert.match(ownSocketProblem(file) ?? '', /not a socket/);
  assert.match(ownSocketProblem(join(priv, 'none')) ?? '', /does not exist/);
  // In a world-writable dir (the old fallback, /tmp) even labd's own socket is refused: it could be swapped.
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o1777);
  const there = join(open, 'x.sock');
  const close2 = await listen(there);
  try {
    chmodSync(there, 0o600);
    assert.match(ownSocketProblem(there) ?? '', /writable by other users/);
  } finally {
    close2();
  }
});
