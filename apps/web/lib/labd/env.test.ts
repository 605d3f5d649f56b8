import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'web-env-'));
const file = join(dir, 'service-token');
delete process.env.ELAB_SERVICE_TOKEN;
process.env.ELAB_SERVICE_TOKEN_FILE = file;
process.env.ELAB_CONTENT_DIR = dir;
const { parseWebEnv, serviceToken, webConfig } = await import('./env');

test('a bad variable is named with its value and what to do; a token never is', () => {
  assert.throws(() => parseWebEnv({ PORT: 'eighty' }), /PORT="eighty": .*fix or unset/);
  assert.throws(() => parseWebEnv({ ELAB_LABD_URL: 'ftp://x' }), /ELAB_LABD_URL="ftp:\/\/x"/);
  assert.throws(
    () => parseWebEnv({ ELAB_SERVICE_TOKEN: 'tiny-secret' }),
    (e: Error) => /ELAB_SERVICE_TOKEN: at least 20/.test(e.message) && !e.message.includes('tiny-secret'),
  );
  const c = parseWebEnv({ PORT: '3100', HOST: '127.0.0.2', ELAB_CONTENT_DIR: 'fixtures' });
  assert.equal(c.port, 3100);
  assert.equal(c.host, '127.0.0.2');
  assert.equal(c.contentDir, join(process.cwd(), 'fixtures'));
});

test("one config per process, shared through globalThis with the copy in Next's bundle", () => {
  const c = webConfig();
  assert.equal(webConfig(), c);
  assert.equal((globalThis as Record<symbol, unknown>)[Symbol.for('ebpf-lab.web-config')], c);
  assert.equal(c.contentDir, dir);
});

test('the service token comes from ELAB_SERVICE_TOKEN_FILE: missing is a clear error, rotation is followed, the last one outlives the file', () => {
  assert.throws(() => serviceToken(), /ELAB_SERVICE_TOKEN_FILE .*service-token: cannot read it: ENOENT; labd writes/);
  writeFileSync(file, `${'a'.repeat(43)}\n`);
  assert.equal(serviceToken(), 'a'.repeat(43));
  writeFileSync(file, 'b'.repeat(43));
  assert.equal(serviceToken(), 'b'.repeat(43), 'a labd re-install that rotates the token is followed');
  rmSync(dir, { recursive: true });
  assert.equal(serviceToken(), 'b'.repeat(43), 'after dropping root the file is unreadable: the token read at start is kept');
});
