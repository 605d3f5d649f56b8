// A request whose target is not a URL (`GET http://[ HTTP/1.1`) used to throw outside any try and
// end labd for everyone. It gets 400 now, on the plain and on the upgrade path, and labd keeps serving.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { call, startLabd, tempDir, type LabdProcess } from '../test-support/labd-harness.ts';

let labd: LabdProcess;
before(async () => {
  labd = await startLabd({ stateDir: tempDir() });
});
after(async () => {
  await labd?.stop();
});

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
    });
    s.on('end', () => resolve(got));
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(30_000, () => {
      s.destroy();
      resolve(got);
    });
  });
}

test('a request target that is not a URL gets 400 and labd keeps serving', async () => {
  const host = `127.0.0.1:${labd.port}`;
  const plain = await raw(labd.port, `GET http://[ HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  assert.match(plain, /^HTTP\/1\.1 400 /, plain.slice(0, 200));
  const upgrade = await raw(labd.port, `GET http://[ HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
  assert.match(upgrade, /^HTTP\/1\.1 400 /, upgrade.slice(0, 200));
  assert.equal(labd.proc.exitCode, null, 'labd is still running');
  assert.equal((await call(labd.url, 'GET', '/v1/lab')).status, 401, 'and still answers');
});
