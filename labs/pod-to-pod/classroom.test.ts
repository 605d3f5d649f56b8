import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isRoot, lab, repoRoot, tempStateDir } from '../../apps/labd/src/test-support/lab-cli.ts';

/** The `bash run` blocks of each <Step> of the English lesson, in order: what a learner clicks. */
function lessonCommands(mdx: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of mdx.matchAll(/<Step id="([^"]+)">([\s\S]*?)<\/Step>/g)) {
    out.set(m[1]!, [...m[2]!.matchAll(/```bash run\n([\s\S]*?)```/g)].map((b) => b[1]!));
  }
  return out;
}

/** The terminal the lesson tells the learner to use for each `bash run` block, in order. */
const TERMINALS: Record<string, string[]> = {
  'cross-node': ['netpod', 'netpod', 'k8s-s', 'netpod', 'k8s-s'],
  attach: ['k8s-w2'],
  identities: ['k8s-w2'],
  policy: ['k8s-w2', 'tiefighter', 'xwing', 'k8s-w2'],
  egress: ['netpod', 'internet', 'k8s-s', 'netpod', 'k8s-s'],
};

// Every pod-to-pod lab uses the same pod IPs and pins its maps at the same path on its own
// k8s-w2. Two labs on one host must not see each other: both pass with the lesson's own commands,
// each run in the terminal the lesson names, interleaved, and
// a whoami answer saved in the neighbour's lab does not count here.
test('two pod-to-pod labs on one host: each passes with the lesson\'s commands, a copied answer fails', { skip: !isRoot && 'needs root' }, () => {
  const env = { ...process.env, ELAB_STATE_DIR: tempStateDir() };
  const ids = [lab(['up', 'pod-to-pod'], { env }), lab(['up', 'pod-to-pod'], { env })].map((r) => { assert.equal(r.code, 0, r.stderr); return r.stdout.trim(); });
  try {
    const [a, b] = ids as [string, string];
    const steps = lessonCommands(readFileSync(join(repoRoot, 'content/en/pod-to-pod.mdx'), 'utf8'));
    assert.deepEqual([...steps.keys()], Object.keys(TERMINALS));
    for (const [step, blocks] of steps) {
      assert.equal(blocks.length, TERMINALS[step]!.length, `the lesson's ${step} step has ${blocks.length} command blocks: update TERMINALS`);
      for (const id of ids) {
        blocks.forEach((cmd, i) => {
          const r = lab(['exec', id, '--node', TERMINALS[step]![i]!, '--timeout', '120', '--', 'bash', '-c', cmd], { env, timeoutMs: 180_000 });
          assert.equal(r.code, 0, `${step} in ${id} on ${TERMINALS[step]![i]}: ${cmd}\n${r.stdout}${r.stderr}`);
        });
      }
    }
    for (const id of ids) {
      const r = JSON.parse(lab(['check', id, '--json'], { env }).stdout) as { step: string; status: string; message: string }[];
      assert.deepEqual(r.map((c) => `${c.step}=${c.status}`), ['cross-node=pass', 'attach=pass', 'identities=pass', 'policy=pass', 'egress=pass'], JSON.stringify(r, null, 1));
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
