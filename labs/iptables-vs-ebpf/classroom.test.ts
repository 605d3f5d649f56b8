import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRoot, lab, tempStateDir } from '../../apps/labd/src/test-support/lab-cli.ts';

// A classroom runs many iptables-vs-ebpf labs on one host. Each lab's rules, svclb attachment,
// pinned maps and counters must be its own: both labs pass with the lesson's steps (solve.sh
// runs the lesson's commands), and a result file copied from the neighbour does not count.
test('two iptables-vs-ebpf labs on one host: each passes on its own work, a copied result file fails', { skip: !isRoot && 'needs root' }, () => {
  const env = { ...process.env, ELAB_STATE_DIR: tempStateDir() };
  const ids = [lab(['up', 'iptables-vs-ebpf'], { env }), lab(['up', 'iptables-vs-ebpf'], { env })].map((r) => { assert.equal(r.code, 0, r.stderr); return r.stdout.trim(); });
  try {
    const [a, b] = ids as [string, string];
    // Interleaved, as a classroom is: A and B each do a step before either does the next.
    for (const step of ['iptables', 'ebpf', 'cutover', 'measure']) {
      for (const id of ids) {
        const r = lab(['solve', id, '--step', step], { env, timeoutMs: 300_000 });
        assert.equal(r.code, 0, `${step} in ${id}: ${r.stdout}${r.stderr}`);
      }
    }
    for (const id of ids) {
      const r = JSON.parse(lab(['check', id, '--json'], { env }).stdout) as { step: string; status: string; message: string }[];
      assert.deepEqual(r.map((c) => `${c.step}=${c.status}`), ['iptables=pass', 'ebpf=pass', 'cutover=pass', 'measure=pass'], JSON.stringify(r, null, 1));
    }
    const theirs = lab(['exec', a, '--', 'cat', 'results/iptables-vs-ebpf.json'], { env });
    assert.equal(theirs.code, 0, theirs.stderr);
    const write = lab(['exec', b, '--', 'sh', '-c', `cat > results/iptables-vs-ebpf.json <<'JSON'\n${theirs.stdout}JSON`], { env });
    assert.equal(write.code, 0, write.stderr);
    const copied = (JSON.parse(lab(['check', b, '--step', 'measure', '--json'], { env }).stdout) as { status: string; message: string }[])[0]!;
    assert.equal(copied.status, 'fail', copied.message);
    assert.match(copied.message, /not measured in this lab/);
  } finally {
    lab(['down', ...ids], { env });
  }
});
