import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { which } from './host-caps.ts';
import { isRoot, lab, repoRoot, tempStateDir } from './test-support/lab-cli.ts';

const env = (extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, ELAB_STATE_DIR: tempStateDir(), ...extra });

test('unknown lab and unknown instance: clear error, non-zero exit', () => {
  const e = env();
  const up = lab(['up', 'no-such-lab'], { env: e });
  assert.equal(up.code, 2);
  assert.match(up.stderr, /unknown lab "no-such-lab"/);
  assert.match(up.stderr, /hello-ebpf/, 'lists the labs that exist');
  for (const cmd of [
    ['exec', 'zzzzzz', '--', 'true'],
    ['check', 'zzzzzz'],
    ['down', 'zzzzzz'],
  ]) {
    const r = lab(cmd, { env: e });
    assert.equal(r.code, 2, `${cmd[0]}: ${r.stderr}`);
    assert.match(r.stderr, /no lab instance "zzzzzz"/);
  }
  const bad = lab(['frobnicate'], { env: e });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command "frobnicate"/);
});

test('a malformed lab.yaml names file and field; the other labs still load and start', { skip: !isRoot && 'needs root' }, () => {
  const labs = mkdtempSync(join(tmpdir(), 'elab-labs-'));
  cpSync(join(repoRoot, 'packages/lab-spec/fixtures/one-lab-broken'), labs, { recursive: true });
  const e = env({ ELAB_LABS_DIR: labs });
  const list = lab(['labs'], { env: e });
  assert.equal(list.code, 1, 'exit code says something is broken');
  assert.match(list.stdout, /bad-timeout\s+BROKEN: .*bad-timeout\/lab\.yaml: steps\.0\.timeoutSeconds/);
  assert.match(list.stdout, /good-lab\s+A lab that loads/);
  const upBad = lab(['up', 'bad-timeout'], { env: e });
  assert.equal(upBad.code, 2);
  assert.match(upBad.stderr, /steps\.0\.timeoutSeconds/);
  const up = lab(['up', 'good-lab'], { env: e });
  assert.equal(up.code, 0, up.stderr);
  assert.equal(lab(['down', up.stdout.trim()], { env: e }).code, 0);
});

test(
  'not root: says which capabilities are missing and how to run',
  { skip: (!isRoot || !which('setpriv')) && 'needs root and setpriv to drop to nobody' },
  () => {
    const r = lab(['up', 'hello-ebpf'], {
      env: env({ HOME: '/tmp' }),
      cmdPrefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'],
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /CAP_SYS_ADMIN and CAP_NET_ADMIN/);
    assert.match(r.stderr, /run as root/);
  },
);

test('clang or bpftool missing: names the Debian package to install', { skip: !isRoot && 'needs root' }, () => {
  // A PATH with every tool the lab needs except clang and bpftool.
  const bin = mkdtempSync(join(tmpdir(), 'elab-path-'));
  for (const t of ['ip', 'nsenter', 'unshare', 'make', 'bpftrace', 'iptables', 'bash', 'sh']) {
    const at = which(t);
    if (at) symlinkSync(at, join(bin, t));
  }
  const e = env({ PATH: bin });
  const up = lab(['up', 'hello-ebpf'], { env: e });
  assert.equal(up.code, 3, up.stderr);
  assert.match(up.stderr, /clang: not found on PATH/);
  assert.match(up.stderr, /apt-get install clang/);
  assert.match(up.stderr, /apt-get install bpftool/);
  const doc = JSON.parse(lab(['doctor', '--json'], { env: e }).stdout) as { items: { name: string; ok: boolean; fix?: string }[] };
  assert.equal(doc.items.find((i) => i.name === 'bpftool')?.fix, 'apt-get install bpftool');
  assert.equal(doc.items.find((i) => i.name === 'clang')?.ok, false);
});

test('a check that hangs is reported as error after its timeout, and the lab stays usable', { skip: !isRoot && 'needs root' }, () => {
  const labs = mkdtempSync(join(tmpdir(), 'elab-labs-'));
  const dir = join(labs, 'hanging-check');
  for (const s of ['hangs', 'quick']) mkdirSync(join(dir, 'steps', s), { recursive: true });
  writeFileSync(
    join(dir, 'lab.yaml'),
    'id: hanging-check\ntitle: One check hangs\ndrivers: [netns]\nsteps:\n  - {id: hangs, title: Hangs, timeoutSeconds: 1}\n  - {id: quick, title: Quick, timeoutSeconds: 5}\n',
  );
  writeFileSync(join(dir, 'steps/hangs/check.sh'), 'sleep 300\n');
  writeFileSync(join(dir, 'steps/quick/check.sh'), 'test -f done || { echo "not done"; exit 1; }\necho done\n');
  for (const s of ['hangs', 'quick']) {
    writeFileSync(join(dir, 'steps', s, 'solve.sh'), 'touch done\n');
    chmodSync(join(dir, 'steps', s, 'solve.sh'), 0o755);
  }
  const e = env({ ELAB_LABS_DIR: labs });
  const id = lab(['up', 'hanging-check'], { env: e }).stdout.trim();
  assert.match(id, /^[a-z0-9]{6}$/);
  try {
    // The hanging check sleeps 300 s: an answer at all (lab() gives up at 200 s) means the 1 s timeout cut it.
    const r = lab(['check', id, '--json'], { env: e, timeoutMs: 200_000 });
    assert.equal(r.code, 3, `exit code says a check broke: ${r.stderr}`);
    const results = JSON.parse(r.stdout) as { step: string; status: string; message: string }[];
    assert.equal(results[0]!.status, 'error');
    assert.match(results[0]!.message, /did not finish within 1s/);
    assert.equal(results[1]!.status, 'fail', 'the other check still ran');
    const ex = lab(['exec', id, '--', 'echo', 'still here'], { env: e });
    assert.equal(ex.stdout.trim(), 'still here');
    const again = JSON.parse(lab(['check', id, '--step', 'quick', '--json'], { env: e }).stdout) as { status: string }[];
    assert.equal(again[0]!.status, 'fail');
  } finally {
    lab(['down', id], { env: e });
  }
});
