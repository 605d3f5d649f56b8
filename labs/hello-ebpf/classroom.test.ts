import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertAllPass, check, lessonCommands, runLesson, withTwoLabs } from '../../apps/labd/src/test-support/classroom.ts';
import { isRoot, lab } from '../../apps/labd/src/test-support/lab-cli.ts';

// Every classroom runs several hello labs on one host: each must pass with the lesson's own
// commands (dump by name prints every exec_count on the machine), and neither may pass on the
// other's work.
test("two hello-ebpf labs on one host: each passes with the lesson's own commands, and only its own", { skip: !isRoot && 'needs root' }, () => {
  withTwoLabs('hello-ebpf', (ids, env) => {
    const [a, b] = ids;
    const steps = lessonCommands('hello-ebpf');
    assert.deepEqual([...steps.keys()], ['bpftrace', 'hello', 'map']);
    runLesson(ids, steps, env);
    for (const id of ids) assertAllPass(id, env, ['bpftrace', 'hello', 'map']);
    // The neighbour's map is not this lab's: B dumps A's exec_count by id (a real bpftool dump of a
    // real map, only the wrong one) and is told so.
    const mapIdsOf = (id: string) => (JSON.parse(lab(['exec', id, '--', 'cat', 'exec-count.json'], { env }).stdout) as { id: number }[]).map((m) => m.id);
    const both = mapIdsOf(b);
    assert.ok(both.length >= 2, 'a dump by name with two labs up holds both maps');
    const checkB = () => check(b, env, 'map');
    const bOwn = checkB()[0]!;
    assert.equal(bOwn.status, 'pass');
    const mine = Number(/map id (\d+)/.exec(bOwn.message)![1]);
    const other = both.find((m) => m !== mine)!;
    assert.equal(lab(['exec', b, '--', 'sh', '-c', `bpftool -j map dump id ${other} > exec-count.json`], { env }).code, 0);
    const copied = checkB()[0]!;
    assert.equal(copied.status, 'fail', copied.message);
  });
});
