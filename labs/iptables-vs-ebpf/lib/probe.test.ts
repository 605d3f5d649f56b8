import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { probeProblem, serviceChains } from './probe.ts';

const RULES = join(dirname(fileURLToPath(import.meta.url)), '..', 'files', 'kube-rules.py');

test('serviceChains names the same chains kube-rules.py writes for svc-1', () => {
  const backends = ['172.16.0.11:8080', '172.16.0.12:8080', '172.16.0.13:8080'];
  const out = execFileSync('python3', [RULES, '--n', '1', '--backends', backends.join(',')], { encoding: 'utf8' });
  const declared = out
    .split('\n')
    .filter((l) => /^:KUBE-(SVC|SEP)-/.test(l))
    .map((l) => l.slice(1).split(' ')[0]);
  assert.deepEqual(serviceChains(1, backends).sort(), declared.sort());
});

test('probeProblem accepts a spread service and names each way a service can be broken', () => {
  const spread = ['be1', 'be2', 'be3', 'be1', 'be2', 'be3', 'be1', 'be2', 'be3', 'be1'];
  assert.equal(probeProblem({ vip: 'v', answers: spread, errors: [] }, 10), null);
  assert.match(probeProblem({ vip: 'v', answers: [], errors: Array(10).fill(28) }, 10)!, /timed out/);
  assert.match(probeProblem({ vip: 'v', answers: spread.slice(0, 7), errors: [7, 7, 7] }, 10)!, /only 7 of 10/);
  assert.match(probeProblem({ vip: 'v', answers: Array(10).fill('be2'), errors: [] }, 10)!, /all 10 connections .* be2/);
});
