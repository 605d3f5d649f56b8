import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertAllPass, check, lessonCommands, runLesson, withTwoLabs } from '../../apps/labd/src/test-support/classroom.ts';
import { isRoot, lab } from '../../apps/labd/src/test-support/lab-cli.ts';

// The cutover's deletions are printed with placeholders (KUBE-SVC-…) and the lesson's measure run
// takes minutes, so those two steps run solve.sh (the same commands, with the names filled in).
const SOLVE_AFTER_LESSON = new Set(['cutover', 'measure']);

// A classroom runs many iptables-vs-ebpf labs on one host. Each lab's rules, svclb attachment,
// pinned maps and counters must be its own: both labs pass with the lesson's own commands, and a result file copied from the neighbour does not count.
test("two iptables-vs-ebpf labs on one host: each passes with the lesson's commands, a copied result file fails", { skip: !isRoot && 'needs root' }, () => {
  withTwoLabs('iptables-vs-ebpf', (ids, env) => {
    const [a, b] = ids;
    const steps = lessonCommands('why-ebpf');
    assert.deepEqual([...steps.keys()], ['iptables', 'ebpf', 'cutover', 'measure']);
    runLesson(ids, steps, env, {
      afterStep: (id, step) => {
        if (!SOLVE_AFTER_LESSON.has(step)) return;
        const r = lab(['solve', id, '--step', step], { env, timeoutMs: 300_000 });
        assert.equal(r.code, 0, `${step} in ${id}: ${r.stdout}${r.stderr}`);
      },
    });
    for (const id of ids) assertAllPass(id, env, ['iptables', 'ebpf', 'cutover', 'measure']);
    const theirs = lab(['exec', a, '--', 'cat', 'results/iptables-vs-ebpf.json'], { env });
    assert.equal(theirs.code, 0, theirs.stderr);
    const write = lab(['exec', b, '--', 'sh', '-c', `cat > results/iptables-vs-ebpf.json <<'JSON'\n${theirs.stdout}JSON`], { env });
    assert.equal(write.code, 0, write.stderr);
    const copied = check(b, env, 'measure')[0]!;
    assert.equal(copied.status, 'fail', copied.message);
    assert.match(copied.message, /not measured in this lab/);
  });
});
