import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { configFrom, configOf, initConfig, readEnv } from './config.ts';
import { serverConfig } from './server/env.ts';
import { lab, repoRoot, tempStateDir } from './test-support/lab-cli.ts';

const labdBin = join(repoRoot, 'apps/labd/bin/labd.mjs');

const bad = (env: NodeJS.ProcessEnv): string => {
  try {
    readEnv(env);
  } catch (e) {
    return `${(e as Error).message}\n${(e as { hint?: string }).hint ?? ''}`;
  }
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
  const byFlag = serverConfig(['--state-dir', dir], readEnv({}));
  const byEnv = serverConfig([], readEnv({ ELAB_STATE_DIR: dir }));
  assert.deepEqual(byFlag, byEnv);
  assert.equal(byFlag.paths.stateDir, dir);
  assert.equal(byFlag.stateDir, byFlag.paths.stateDir, 'the server and the engine look at one state dir');
  assert.equal(serverConfig(['--state-dir', dir], readEnv({ ELAB_STATE_DIR: '/elsewhere' })).paths.stateDir, dir);
  assert.equal(configFrom(readEnv({ ELAB_LABS_DIR: 'rel/labs' })).labsDir, resolve('rel/labs'));
  assert.throws(() => serverConfig(['--max-labs', 'lots'], readEnv({})), /--max-labs must be a whole number .* not "lots"/);
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
    assert.deepEqual(
      (JSON.parse(l.stdout) as { id: string }[]).map((x) => x.id),
      ['xdp'],
    );
  } finally {
    rmSync(labs, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
});

test('driver settings are parsed with the rest: each bad one is named with the rule', () => {
  assert.match(bad({ ELAB_VM_BOOT_TIMEOUT_S: 'lots' }), /ELAB_VM_BOOT_TIMEOUT_S="lots": seconds a guest may take to boot, 1-3600/);
  assert.match(bad({ ELAB_VM_POOL: '99' }), /ELAB_VM_POOL="99": booted guests to keep ready, 0-32/);
  assert.match(bad({ ELAB_VM_MIN_FREE_MIB: '-5' }), /ELAB_VM_MIN_FREE_MIB="-5"/);
  assert.match(bad({ ELAB_VM_ACCEL: 'hvf' }), /ELAB_VM_ACCEL="hvf": use kvm or tcg/);
  assert.match(bad({ ELAB_VM_EXEC: 'telnet' }), /ELAB_VM_EXEC="telnet": use agent \(the default\) or ssh/);
  assert.match(bad({ ELAB_VAGRANT_PROVIDER: 'hyperv' }), /ELAB_VAGRANT_PROVIDER="hyperv": use one of: docker, virtualbox, libvirt/);
  assert.match(bad({ LAB_MEMORY_MB: 'lots' }), /LAB_MEMORY_MB="lots": MB of memory per VM/);
  assert.match(bad({ ELAB_CHECK_WARM: '1.5' }), /ELAB_CHECK_WARM="1.5"/);
  assert.match(bad({ ELAB_TERMINAL_ORPHAN_MS: '5' }), /ELAB_TERMINAL_ORPHAN_MS="5": milliseconds a terminal outlives labd/);
  assert.match(bad({ ELAB_CHECK_RESPONSES: 'on' }), /ELAB_CHECK_RESPONSES="on": use 1 or 0/);
  // Good values reach the drivers' settings; unset ones take the documented defaults.
  const c = configOf({
    ELAB_VM_BOOT_TIMEOUT_S: '30',
    ELAB_VM_POOL: '2',
    ELAB_VAGRANT_PROVIDER: 'libvirt',
    LAB_MEMORY_MB: '768',
    LAB_CACHE_DIR: '/c',
    PATH: '/p',
  });
  assert.deepEqual(c.vm, { imageDir: undefined, accel: undefined, bootTimeoutS: 30, minFreeMiB: 1024, pool: 2, exec: 'agent' });
  assert.equal(c.vagrant.provider, 'libvirt');
  assert.equal(c.vagrant.memoryMb, 768);
  assert.equal(c.vagrant.cacheDir, '/c');
  assert.equal(c.toolPath, '/p');
  assert.deepEqual([c.checkWarm, c.terminalOrphanMs, c.checkResponses], [2, 900_000, false]);
});

test('labd with a bad driver setting stops at start, naming it and the fix; nothing is made', () => {
  const state = join(tempStateDir(), 'never');
  const r = spawnSync(process.execPath, [labdBin, '--state-dir', state, '--port', '0'], {
    env: { ...process.env, ELAB_VM_BOOT_TIMEOUT_S: 'lots', ELAB_SERVICE_TOKEN: 'a-secret-that-is-long-enough-to-pass-the-rule' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /ELAB_VM_BOOT_TIMEOUT_S="lots": seconds a guest may take to boot, 1-3600, e.g. 240/);
  assert.match(r.stderr, /fix or unset the variables named above/);
  assert.doesNotMatch(r.stdout, /listening/);
  assert.doesNotMatch(r.stderr, /a-secret-that/);
  assert.equal(existsSync(state), false, 'labd made nothing');
});
