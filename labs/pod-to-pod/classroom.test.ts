import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRoot, lab, tempStateDir } from '../../apps/labd/src/test-support/lab-cli.ts';

// Every pod-to-pod lab uses the same pod IPs and pins its maps at the same path on its own
// k8s-w2. Two labs on one host must not see each other: both pass with the lesson's steps
// (solve.sh runs the lesson's commands, each in the member the lesson names), interleaved, and
// a whoami answer saved in the neighbour's lab does not count here.
test('two pod-to-pod labs on one host: each passes on its own work, a copied answer fails', { skip: !isRoot && 'needs root' }, () => {
  const env = { ...process.env, ELAB_STATE_DIR: tempStateDir() };
  const ids = [lab(['up', 'pod-to-pod'], { env }), lab(['up', 'pod-to-pod'], { env })].map((r) => { assert.equal(r.code, 0, r.stderr); return r.stdout.trim(); });
  try {
    const [a, b] = ids as [string, string];
    for (const step of ['cross-node', 'attach', 'identities', 'policy']) {
      for (const id of ids) {
        const r = lab(['solve', id, '--step', step], { env, timeoutMs: 300_000 });
        assert.equal(r.code, 0, `${step} in ${id}: ${r.stdout}${r.stderr}`);
      }
    }
    for (const id of ids) {
      const r = JSON.parse(lab(['check', id, '--json'], { env }).stdout) as { step: string; status: string; message: string }[];
      assert.deepEqual(r.map((c) => `${c.step}=${c.status}`), ['cross-node=pass', 'attach=pass', 'identities=pass', 'policy=pass'], JSON.stringify(r, null, 1));
    }
    // A real answer from a real webpod, only in the other lab: B's webpod1 never served it.
    const theirs = lab(['exec', a, '--', 'cat', 'webpod1.txt'], { env });
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(lab(['exec', b, '--', 'sh', '-c', `cat > webpod1.txt <<'EOF'\n${theirs.stdout}EOF`], { env }).code, 0);
    const copied = (JSON.parse(lab(['check', b, '--step', 'cross-node', '--json'], { env }).stdout) as { status: string; message: string }[])[0]!;
    assert.equal(copied.status, 'fail', copied.message);
    assert.match(copied.message, /never served a request/);
  } finally {
    lab(['down', ...ids], { env });
  }
});
