import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isRoot, lab, tempStateDir } from '../../test-support/lab-cli.ts';
import { minimalLabsDir } from './test-labs.ts';

// A lab's long-lived processes (the holder of every member, PID 1 among them) must keep no host file
// open: the review filled the host's disk from a lab with `head -c 30000000 /dev/zero >> /proc/1/fd/1`,
// which appended to the holder's log in labd's state dir, past the workdir's size limit.

const skip = !isRoot && 'needs root (real namespaces)';
const stateDir = isRoot ? tempStateDir() : '';
const labsDir = isRoot ? minimalLabsDir() : '';
let id = '';
const env = { ...process.env, ELAB_STATE_DIR: stateDir, ELAB_LABS_DIR: labsDir };

interface Member {
  name: string;
  cgroup: string;
  holderPid: number;
}
const stateOf = () =>
  JSON.parse(readFileSync(join(stateDir, 'instances', id, 'state.json'), 'utf8')) as { workdir: string; driverState: { members: Member[] } };

/** Bytes of every file under dir, except those under `skipDir` (the lab's own workdir, a capped tmpfs). */
function bytesUnder(dir: string, skipDir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (p === skipDir) continue;
    if (e.isDirectory()) n += bytesUnder(p, skipDir);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

before(() => {
  if (!isRoot) return;
  // Two members (a node and a pod), so two holders: the lab's PID 1 and one that joined its PID namespace.
  const dir = join(labsDir, 'pair');
  const yaml =
    'id: pair\ntitle: Two members\ndrivers: [netns]\ntopology:\n  nodes: [{ name: lab }]\n  pods:\n    - { name: p1, node: lab }\n' +
    'steps:\n  - id: only\n    title: The only step\n';
  mkdirSync(join(dir, 'steps', 'only'), { recursive: true });
  writeFileSync(join(dir, 'lab.yaml'), yaml);
  writeFileSync(join(dir, 'steps', 'only', 'solve.sh'), 'true\n');
  writeFileSync(join(dir, 'steps', 'only', 'check.sh'), 'exit 1\n');
  const up = lab(['up', 'pair'], { env });
  assert.equal(up.code, 0, up.stderr);
  id = up.stdout.trim();
});
after(() => {
  if (id) lab(['down', id], { env });
});

test("no process of the lab (seen from the host) has a file of labd's state dir open, but for its workdir", { skip }, () => {
  const s = stateOf();
  assert.equal(s.driverState.members.length, 2, 'both members have a holder');
  const open: string[] = [];
  for (const m of s.driverState.members) {
    for (const pid of readFileSync(join(m.cgroup, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean)) {
      let fds: string[] = [];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let t = '';
        try {
          t = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        if ((t.startsWith(stateDir) && !t.startsWith(s.workdir)) || t.includes('.holder.log')) open.push(`${m.name} pid ${pid} fd ${fd} -> ${t}`);
      }
    }
  }
  assert.deepEqual(open, [], 'no holder keeps a host file open');
});

test("inside the lab, /proc/*/fd links to no host path; writing to every holder's stdout/stderr grows nothing on the host", { skip }, () => {
  const s = stateOf();
  const listed = lab(['exec', id, '--', 'ls -l /proc/[0-9]*/fd/ 2>/dev/null'], { env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.doesNotMatch(listed.stdout, /holder\.log|\.ready/);
  for (const line of listed.stdout.split('\n').filter((l) => l.includes(stateDir))) assert.ok(line.includes(s.workdir), line);

  // The holders' pids as the lab sees them (the last NSpid field).
  const inner = s.driverState.members.map((m) => /^NSpid:.*\s(\d+)$/m.exec(readFileSync(`/proc/${m.holderPid}/status`, 'utf8'))![1]);
  assert.ok(inner.includes('1'), `one holder is the lab's PID 1 (${inner.join(', ')})`);
  const before = bytesUnder(stateDir, s.workdir);
  const flood = inner.map((p) => `head -c 3000000 /dev/zero >> /proc/${p}/fd/1; head -c 3000000 /dev/zero >> /proc/${p}/fd/2;`).join(' ');
  lab(['exec', id, '--', `${flood} true`], { env });
  const grown = bytesUnder(stateDir, s.workdir) - before;
  assert.ok(grown < 1_000_000, `the state dir grew by ${grown} bytes`);
  assert.equal(lab(['exec', id, '--', 'true'], { env }).code, 0, 'the lab still runs');
});
