import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isRoot, lab, repoRoot, tempStateDir } from '../../test-support/lab-cli.ts';
import { labAsync, minimalLabsDir } from './test-labs.ts';

// What an outside tester did from a netns lab shell (issue #9), tried again against two real labs.
// Each command runs through `lab exec`, the same path as the browser terminal and `lab shell`.

if (!isRoot) console.log('SKIP: isolation.test.ts needs root (it builds real namespaces)');
const skip = !isRoot && 'needs root';
const sh = (cmd: string) => execFileSync('/bin/bash', ['-c', cmd], { encoding: 'utf8' });

const stateDir = isRoot ? tempStateDir() : '';
const env = { ...process.env, ELAB_STATE_DIR: stateDir, ELAB_LABS_DIR: isRoot ? minimalLabsDir() : '' };
let a = '',
  b = '';
const inA = (cmd: string) => lab(['exec', a, '--', cmd], { env });
const workdirOf = (id: string) => JSON.parse(readFileSync(join(stateDir, 'instances', id, 'state.json'), 'utf8')).workdir as string;

before(() => {
  if (!isRoot) return;
  // The secrets labd keeps in its state dir (fakes with the real names, so a leak is recognisable).
  for (const f of ['service-token', 'instructor-token', 'labd.db']) writeFileSync(join(stateDir, f), `SECRET-${f}\n`, { mode: 0o600 });
  a = lab(['up', 'bare'], { env }).stdout.trim();
  b = lab(['up', 'bare'], { env }).stdout.trim();
  assert.match(a, /^[a-z0-9]{6}$/);
  assert.match(b, /^[a-z0-9]{6}$/);
});

after(() => {
  if (isRoot) for (const id of [a, b]) lab(['down', id], { env });
});

test("a lab cannot read labd's state dir: tokens, database, other instances", { skip }, () => {
  const r = inA(`cat ${stateDir}/service-token ${stateDir}/instructor-token ${stateDir}/labd.db; ls ${stateDir} ${stateDir}/instances; cat /etc/shadow`);
  assert.notEqual(r.code, 0);
  assert.doesNotMatch(r.stdout, /SECRET|root:/);
  // The only thing under the state dir is the path down to A's own workdir.
  assert.ok(!r.stdout.includes(b) && !r.stdout.includes('state.json'), r.stdout);
  // The workdir itself is there, at the path labd and the checks use, and writable.
  assert.equal(inA(`test "$PWD" = ${workdirOf(a)} && touch mine`).code, 0);
  // The driver's helpers are there read-only (lab-on on PATH); nothing else of the repository is.
  const libexec = join(repoRoot, 'apps/labd/libexec');
  assert.equal(
    inA(`test -x "$(command -v lab-on)" && test -r ${libexec}/enter.sh && ! touch ${libexec}/x 2>/dev/null && ! test -e ${repoRoot}/package.json`).code,
    0,
  );
});

test("ps and /proc show only the lab's processes; none of labd's or the host's", { skip }, () => {
  const r = inA('ps -e -o pid=,args=');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.length < 10, `only a handful of lab processes, got:\n${r.stdout}`);
  assert.doesNotMatch(r.stdout, /\bnode\b|lab\.mjs|\/sbin\/init|sshd/, 'no host process is visible');
  assert.match(lines[0]!, /^\s*1 .*lab-root\.sh|^\s*1 .*sleep|^\s*1 .*bash/, "PID 1 is the lab's own holder");
  const n = inA('ls -d /proc/[0-9]* | wc -l').stdout.trim();
  assert.ok(Number(n) < 10, `/proc lists ${n} processes`);
});

test('no namespace of labd or the host is reachable: nsenter leads only into the lab', { skip }, () => {
  const host = ['net', 'mnt', 'pid', 'cgroup'].map((t) => String(statSync(`/proc/self/ns/${t}`).ino));
  const r = inA('for f in /proc/[0-9]*/ns/* /run/netns/*; do stat -L -c %i "$f" 2>/dev/null; done | sort -u');
  assert.equal(r.code, 0, r.stderr);
  const reachable = new Set(r.stdout.trim().split('\n'));
  for (const ino of host) assert.ok(!reachable.has(ino), `host namespace inode ${ino} is reachable from the lab`);
  // The tester's way in: nsenter into "labd's pid" (here: the test process's own pid) and PID 1.
  assert.notEqual(inA(`nsenter -t ${process.pid} -n -m true`).code, 0, 'a host pid does not exist inside the lab');
  const one = inA('nsenter -t 1 -n -m readlink /proc/self/ns/net');
  assert.doesNotMatch(one.stdout, new RegExp(`\\[${host[0]}\\]`), 'PID 1 is the lab holder, not host init');
});

test('links and iptables rules made from a lab never appear in the host namespace', { skip }, () => {
  // Through PID 1 and labd's pid (this test's), the tester's way; not every pid, so a lab that is
  // not contained touches only the host namespace, not other labs' (the test must fail cleanly).
  inA(
    `for t in 1 ${process.pid}; do nsenter -t $t -n -- ip link add eliso0 type veth peer name eliso1; ` +
      'nsenter -t $t -n -- iptables -A INPUT -m comment --comment eliso-mark -j ACCEPT; done 2>/dev/null; ' +
      'ip link add eliso2 type veth peer name eliso3; iptables -A INPUT -m comment --comment eliso-mark -j ACCEPT',
  );
  const leaked = sh('ip -o link show; iptables-save 2>/dev/null || true');
  // Clean up before asserting, so a failure here does not leave the host changed.
  sh('ip link del eliso0 2>/dev/null; while iptables -D INPUT -m comment --comment eliso-mark -j ACCEPT 2>/dev/null; do :; done; true');
  assert.doesNotMatch(leaked, /eliso/, 'no eliso* link or eliso-mark rule on the host');
  // They were made, in the lab's own netns, where the lab may do as it likes.
  assert.match(inA('ip -o link show').stdout, /eliso2/);
});

test('mounting, unmounting and host-wide sysctls are refused even with CAP_SYS_ADMIN', { skip }, () => {
  const core = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
  const r = inA(
    'mkdir -p /tmp/p; mount -t proc proc /tmp/p && echo MOUNTED; mount -o remount,rw /usr && echo REMOUNTED; ' +
      'umount /proc/sys && echo UNMOUNTED; echo "|/tmp/x" > /proc/sys/kernel/core_pattern && echo WROTE; touch /usr/eliso && echo TOUCHED; true',
  );
  assert.doesNotMatch(r.stdout, /MOUNTED|REMOUNTED|UNMOUNTED|WROTE|TOUCHED/);
  assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), core);
  assert.match(inA('grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status').stdout, /NoNewPrivs:\s+1\nSeccomp:\s+2/);
  // Capabilities a lab has no use for are gone from the bounding set (sys_module 16, sys_ptrace 19).
  const bnd = BigInt(`0x${/CapBnd:\s+([0-9a-f]+)/.exec(inA('cat /proc/self/status').stdout)![1]}`);
  for (const cap of [16n, 17n, 19n, 25n, 27n]) assert.equal((bnd >> cap) & 1n, 0n, `capability ${cap} is dropped`);
});

test("learner A sees neither B's workdir nor B's pinned maps", { skip }, () => {
  const bw = workdirOf(b);
  assert.equal(
    lab(['exec', b, '--', 'echo B-PRIVATE > secret.txt && bpftool map create /sys/fs/bpf/bsecret type hash key 4 value 4 entries 4 name bsecret'], { env })
      .code,
    0,
  );
  const r = inA(`cat ${bw}/secret.txt; ls ${bw}; ls /sys/fs/bpf; ls /proc/*/root/sys/fs/bpf; grep -rs B-PRIVATE /tmp /run /var`);
  assert.doesNotMatch(r.stdout, /B-PRIVATE|bsecret|secret\.txt/);
  assert.match(lab(['exec', b, '--', 'ls /sys/fs/bpf; cat secret.txt'], { env }).stdout, /bsecret[\s\S]*B-PRIVATE/, 'B itself still has both');
});

test("labd's loopback port cannot be called from a lab, directly or through nsenter", { skip }, async () => {
  // A stand-in for labd's HTTP API on the host's 127.0.0.1.
  const server = createServer((_req, res) => res.end('LABD-ANSWERED\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const r = await labAsync(
      [
        'exec',
        a,
        '--',
        `for t in 1 ${process.pid}; do nsenter -t $t -n -- curl -s --max-time 3 http://127.0.0.1:${port}/; done; ` +
          `curl -s --max-time 3 http://127.0.0.1:${port}/; true`,
      ],
      env,
      60_000,
    );
    assert.doesNotMatch(r.stdout, /LABD-ANSWERED/);
    // The stand-in does answer on the host, so the lab's silence means something.
    assert.match(await (await fetch(`http://127.0.0.1:${port}/`)).text(), /LABD-ANSWERED/);
  } finally {
    server.close();
  }
});
