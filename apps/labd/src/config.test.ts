import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { configFrom, initConfig, readEnv } from './config.ts';
import { serverConfig } from './server/env.ts';
import { lab, repoRoot, tempStateDir } from './test-support/lab-cli.ts';

const bad = (env: NodeJS.ProcessEnv): string => {
  try { readEnv(env); } catch (e) { return `${(e as Error).message}\n${(e as { hint?: string }).hint ?? ''}`; }
  assert.fail(`accepted ${JSON.stringify(env)}`);
};

test('a bad variable is named with its value and what to do; a token is never echoed', () => {
  const port = bad({ ELAB_PORT: 'seventy' });
  assert.match(port, /ELAB_PORT="seventy"/);
  assert.match(port, /fix or unset/);
  assert.match(bad({ ELAB_MAX_LABS: '0' }), /ELAB_MAX_LABS="0": .*>=1/);
  assert.match(bad({ ELAB_ALLOWED_ORIGINS: 'http://x.org/path' }), /ELAB_ALLOWED_ORIGINS=.*scheme:\/\/host/);
  assert.match(bad({ ELAB_TRUST_LEARNERS: 'yes' }), /ELAB_TRUST_LEARNERS="yes": use 1 or 0/);
  const tok = bad({ ELAB_SERVICE_TOKEN: 'short-secret' });
  assert.match(tok, /ELAB_SERVICE_TOKEN=\(hidden\): at least 32/);
  assert.doesNotMatch(tok, /short-secret/);
  // Empty means unset, as with `ELAB_PORT= labd`.
  assert.equal(readEnv({ ELAB_PORT: '' }).ELAB_PORT, undefined);
});

test('--state-dir and ELAB_STATE_DIR give the same Config; the flag wins over the variable', () => {
  const dir = '/tmp/elab-config-test';
  const byFlag = serverConfig(['--state-dir', dir], {});
  const byEnv = serverConfig([], { ELAB_STATE_DIR: dir });
  assert.deepEqual(byFlag, byEnv);
  assert.equal(byFlag.paths.stateDir, dir);
  assert.equal(byFlag.stateDir, byFlag.paths.stateDir, 'the server and the engine look at one state dir');
  assert.equal(serverConfig(['--state-dir', dir], { ELAB_STATE_DIR: '/elsewhere' }).paths.stateDir, dir);
  assert.equal(configFrom(readEnv({ ELAB_LABS_DIR: 'rel/labs' })).labsDir, resolve('rel/labs'));
  assert.throws(() => serverConfig(['--max-labs', 'lots'], {}), /--max-labs must be a whole number .* not "lots"/);
});

test('the process has one Config: setting a different one is refused', () => {
  const a = configFrom(readEnv({ ELAB_STATE_DIR: '/tmp/a' }));
  initConfig(a);
  assert.doesNotThrow(() => initConfig({ ...a }));
  assert.throws(() => initConfig({ ...a, stateDir: '/tmp/b' }), /state dir \/tmp\/a then \/tmp\/b/);
});

test('the lab CLI: a bad variable stops it with the name; ELAB_LABS_DIR reaches the catalog', () => {
  const state = tempStateDir();
  const labs = mkdtempSync(join(tmpdir(), 'elab-config-labs-'));
  try {
    const r = lab(['list'], { env: { ...process.env, ELAB_STATE_DIR: state, ELAB_MAX_LABS_PER_LEARNER: 'many' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ELAB_MAX_LABS_PER_LEARNER="many"/);
    cpSync(join(repoRoot, 'labs/xdp'), join(labs, 'xdp'), { recursive: true });
    const l = lab(['labs', '--json'], { env: { ...process.env, ELAB_STATE_DIR: state, ELAB_LABS_DIR: labs } });
    assert.equal(l.code, 0, l.stderr);
    assert.deepEqual((JSON.parse(l.stdout) as { id: string }[]).map((x) => x.id), ['xdp']);
  } finally {
    rmSync(labs, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
});
