import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceIdOf, prefixOf } from './lab-names.ts';

test('instanceIdOf finds the lab of a resource name, and only where the name may follow the prefix', () => {
  assert.equal(instanceIdOf(prefixOf('abc123'), 'none'), 'abc123');
  assert.equal(instanceIdOf('elabc123-h1', 'dash'), 'abc123');
  assert.equal(instanceIdOf('elabc123h1', 'any'), 'abc123');
  // A cluster or cgroup someone else named "elephants" is not a lab's: reap must leave it alone.
  assert.equal(instanceIdOf('elephants', 'none'), null);
  assert.equal(instanceIdOf('elabc123-h1', 'none'), null);
  assert.equal(instanceIdOf('elabc123h1', 'dash'), null);
  assert.equal(instanceIdOf('elABC123', 'any'), null, 'ids are lower-case');
  assert.equal(instanceIdOf('xelabc123', 'any'), null);
  assert.equal(instanceIdOf('elab12', 'any'), null, 'too short');
});
