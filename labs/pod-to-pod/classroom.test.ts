import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertAllPass, check, lessonCommands, runLesson, withTwoLabs } from '../../apps/labd/src/test-support/classroom.ts';
import { isRoot, lab } from '../../apps/labd/src/test-support/lab-cli.ts';

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
test("two pod-to-pod labs on one host: each passes with the lesson's commands, a copied answer fails", { skip: !isRoot && 'needs root' }, () => {
  withTwoLabs('pod-to-pod', (ids, env) => {
    const [a, b] = ids;
    const steps = lessonCommands('pod-to-pod');
    assert.deepEqual([...steps.keys()], Object.keys(TERMINALS));
    for (const [step, blocks] of steps)
      assert.equal(blocks.length, TERMINALS[step]!.length, `the lesson's ${step} step has ${blocks.length} command blocks: update TERMINALS`);
    runLesson(ids, steps, env, { node: (step, i) => TERMINALS[step]![i]! });
    for (const id of ids) assertAllPass(id, env, ['cross-node', 'attach', 'identities', 'policy', 'egress']);
    // A real answer from a real webpod, only in the other lab: B's webpod1 never served it.
    const theirs = lab(['exec', a, '--', 'cat', 'webpod1.txt'], { env });
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(lab(['exec', b, '--', 'sh', '-c', `cat > webpod1.txt <<'EOF'\n${theirs.stdout}EOF`], { env }).code, 0);
    const copied = check(b, env, 'cross-node')[0]!;
    assert.equal(copied.status, 'fail', copied.message);
    assert.match(copied.message, /never served a request/);
  });
});
