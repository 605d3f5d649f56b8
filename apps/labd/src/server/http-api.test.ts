import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, isRoot, labdBin, learner, tempDir, twoLearnersWithLab } from '../test-support/labd-harness.ts';

const skip = !isRoot && 'needs root (real netns labs)';
const fx = twoLearnersWithLab(skip);

test('labd binds 127.0.0.1 only unless --host is given', { skip }, () => {
  const ss = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' });
  const mine = ss.split('\n').filter((l) => l.includes(`pid=${fx.labd.proc.pid},`));
  assert.equal(mine.length, 1, `one listening socket of labd:\n${ss}`);
  assert.match(mine[0]!, new RegExp(`\\s127\\.0\\.0\\.1:${fx.labd.port}\\s`));
});

test('no token and unknown tokens get 401; a token of the wrong kind gets 403', { skip }, async () => {
  assert.equal((await call(fx.labd.url, 'GET', '/v1/lab')).status, 401);
  const wrong = await call(fx.labd.url, 'GET', '/v1/lab', 'x'.repeat(43));
  assert.equal(wrong.status, 401);
  assert.ok(wrong.body.error && wrong.body.hint, 'errors are {error, hint}');
  assert.equal((await call(fx.labd.url, 'GET', '/v1/lab', null, undefined, { authorization: 'Basic YW5uOnB3' })).status, 401, 'only Bearer');
  assert.equal((await call(fx.labd.url, 'GET', `/v1/lab?token=${fx.ann.token}`)).status, 401, '?token= is for the WebSocket only');
  assert.equal((await call(fx.labd.url, 'POST', '/v1/learners', fx.ann.token, { displayName: 'Eve' })).status, 403, 'a learner cannot create learners');
  assert.equal((await call(fx.labd.url, 'GET', '/v1/lab', fx.labd.serviceToken)).status, 403, 'the service token is not a learner');
  assert.equal((await call(fx.labd.url, 'GET', '/v1/nope', fx.ann.token)).status, 404);
  assert.equal((await call(fx.labd.url, 'POST', '/v1/tokens', fx.labd.serviceToken, { learnerId: 'nobody', labId: 'hello-ebpf' })).status, 404);
  assert.equal((await call(fx.labd.url, 'POST', '/v1/tokens', fx.labd.serviceToken, { learnerId: fx.ann.learnerId, labId: 'no-such-lab' })).status, 404);
  assert.equal((await call(fx.labd.url, 'POST', '/v1/learners', fx.labd.serviceToken, '{not json')).status, 400);
});

test("another learner's token neither sees nor touches my lab", { skip }, async () => {
  const mine = await call(fx.labd.url, 'GET', '/v1/lab', fx.ann.token);
  assert.equal(mine.body.state, 'ready');
  assert.equal(mine.body.instanceId, fx.annInstance);
  const theirs = await call(fx.labd.url, 'GET', '/v1/lab', fx.bob.token);
  assert.equal(theirs.status, 200);
  assert.equal(theirs.body.instanceId, null, "Bob's view is his own, empty lab");
  assert.equal(theirs.body.state, 'down');
  const read = await call(fx.labd.url, 'GET', '/v1/lab/files?path=trace-execve.bt', fx.bob.token);
  assert.equal(read.status, 409, "Bob has no lab, and no way to name Ann's");
  const write = await call(fx.labd.url, 'PUT', '/v1/lab/files?path=pwned', fx.bob.token, 'x');
  assert.equal(write.status, 409);
  assert.equal((await call(fx.labd.url, 'POST', '/v1/lab/checks', fx.bob.token)).status, 409);
  assert.equal((await call(fx.labd.url, 'GET', '/v1/lab/files?path=pwned', fx.ann.token)).status, 404, "nothing landed in Ann's lab");
});

test('file API: reads and writes inside the workdir; .. and planted symlinks are refused and read nothing', { skip }, async () => {
  const put = await call(fx.labd.url, 'PUT', '/v1/lab/files?path=notes/today.txt', fx.ann.token, 'hello from the editor\n');
  assert.equal(put.status, 204);
  const got = await call(fx.labd.url, 'GET', '/v1/lab/files?path=notes/today.txt', fx.ann.token);
  assert.equal(got.text, 'hello from the editor\n');
  assert.equal((await call(fx.labd.url, 'GET', '/v1/lab/files?path=missing.c', fx.ann.token)).status, 404);

  const up = await call(fx.labd.url, 'GET', '/v1/lab/files?path=../../etc/passwd', fx.ann.token);
  assert.equal(up.status, 403);
  assert.ok(!up.text.includes('root:'), 'nothing of /etc/passwd came back');
  assert.equal((await call(fx.labd.url, 'GET', '/v1/lab/files?path=/etc/passwd', fx.ann.token)).status, 400);

  const workdir = join(fx.labd.stateDir, 'instances', fx.annInstance, 'work');
  symlinkSync('/etc', join(workdir, 'etc-link'));
  symlinkSync('/etc/passwd', join(workdir, 'passwd-link'));
  for (const path of ['etc-link/passwd', 'passwd-link']) {
    const r = await call(fx.labd.url, 'GET', `/v1/lab/files?path=${path}`, fx.ann.token);
    assert.ok(r.status >= 400 && r.status < 500, `${path}: ${r.status}`);
    assert.ok(!r.text.includes('root:'), `${path} read nothing`);
  }
  const before = execFileSync('sha256sum', ['/etc/passwd'], { encoding: 'utf8' });
  assert.equal((await call(fx.labd.url, 'PUT', '/v1/lab/files?path=passwd-link', fx.ann.token, 'evil')).status, 403);
  assert.equal((await call(fx.labd.url, 'PUT', '/v1/lab/files?path=etc-link/evil', fx.ann.token, 'evil')).status, 403);
  assert.equal(execFileSync('sha256sum', ['/etc/passwd'], { encoding: 'utf8' }), before);
});

test('a PUT over 1 MiB is refused with 413 before it is buffered, declared or chunked', { skip }, async () => {
  const big = new Uint8Array(1024 * 1024 + 1);
  const declared = await call(fx.labd.url, 'PUT', '/v1/lab/files?path=big.bin', fx.ann.token, big);
  assert.equal(declared.status, 413);
  // Chunked: no Content-Length, so the limit has to be enforced while the body streams in: the
  // sender keeps going (up to 64 MiB) and the 413 must arrive long before it is done, else labd
  // read (and held) the whole body first.
  const MAX_SENT = 64 * 1024 * 1024;
  const { status, sentAtAnswer } = await new Promise<{ status: number; sentAtAnswer: number }>((resolve, reject) => {
    const u = new URL(`${fx.labd.url}/v1/lab/files?path=big2.bin`);
    let sent = 0;
    let answered = false;
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: 'PUT',
        headers: { authorization: `Bearer ${fx.ann.token}`, 'transfer-encoding': 'chunked' },
      },
      (res) => {
        answered = true;
        res.resume();
        resolve({ status: res.statusCode!, sentAtAnswer: sent });
        req.destroy();
      },
    );
    // After the answer labd may close the connection under the rest of the body: not an error.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const chunk = Buffer.alloc(256 * 1024);
    const pump = () => {
      while (!answered && sent < MAX_SENT) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
  assert.equal(status, 413);
  assert.ok(sentAtAnswer < MAX_SENT, `the 413 came only after the whole ${sentAtAnswer}-byte body was sent: labd buffered it`);
  assert.equal((await call(fx.labd.url, 'GET', '/v1/lab/files?path=big2.bin', fx.ann.token)).status, 404, 'nothing was written');
  const exact = await call(fx.labd.url, 'PUT', '/v1/lab/files?path=exact.bin', fx.ann.token, new Uint8Array(1024 * 1024));
  assert.equal(exact.status, 204, 'exactly 1 MiB is allowed');
});

test('concurrent POST /v1/lab start one lab; checks are recorded as attempts', { skip }, async () => {
  const carol = await learner(fx.labd, 'Carol');
  const posts = await Promise.all([1, 2, 3, 4].map(() => call(fx.labd.url, 'POST', '/v1/lab', carol.token)));
  for (const p of posts) assert.equal(p.status, 200);
  const events = await call(fx.labd.url, 'GET', '/v1/lab/events', carol.token);
  assert.match(events.headers.get('content-type')!, /text\/event-stream/);
  assert.match(events.text, /"phase":"ready"/);
  const view = await call(fx.labd.url, 'GET', '/v1/lab', carol.token);
  const mineNow = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`el${view.body.instanceId}`));
  assert.ok(mineNow.length >= 1);
  const held = spawnSync('ls', [join(fx.labd.stateDir, 'instances')], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n');
  assert.equal(held.length, 2, `one lab for Ann, one for Carol, not more: ${held.join(' ')}`);

  const checks = await call(fx.labd.url, 'POST', '/v1/lab/checks', carol.token, { step: 'map' });
  assert.equal(checks.status, 200);
  assert.deepEqual(
    checks.body.map((c: { step: string; status: string }) => [c.step, c.status]),
    [['map', 'fail']],
  );
  assert.equal((await call(fx.labd.url, 'POST', '/v1/lab/checks', carol.token, { step: 'nope' })).status, 404);
  const after = await call(fx.labd.url, 'GET', '/v1/lab', carol.token);
  const map = after.body.steps.find((s: { id: string }) => s.id === 'map');
  assert.equal(map.attempts, 1);
  assert.equal(map.status, 'fail');
});

test('labd refuses a bad environment variable and names it', () => {
  const r = spawnSync(process.execPath, [labdBin, '--state-dir', tempDir()], {
    env: { ...process.env, ELAB_PORT: 'seventy', ELAB_ALLOWED_ORIGINS: 'http://x/' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /ELAB_PORT/);
  assert.match(r.stderr, /ELAB_ALLOWED_ORIGINS/);
});

test('tokens files are private to root; only hashes are in SQLite', { skip }, () => {
  const mode = spawnSync('stat', ['-c', '%a', join(fx.labd.stateDir, 'service-token')], { encoding: 'utf8' }).stdout.trim();
  assert.equal(mode, '600');
  // The database is labd.db (plus its WAL while labd runs); the test must fail if it is ever renamed.
  const files = ['labd.db', 'labd.db-wal'].filter((f) => existsSync(join(fx.labd.stateDir, f)));
  assert.ok(files.includes('labd.db'), `labd's database is where this test looks: ${readdirSync(fx.labd.stateDir).join(' ')}`);
  const db = Buffer.concat(files.map((f) => readFileSync(join(fx.labd.stateDir, f))));
  assert.ok(db.length > 0);
  // Ann's learner id is stored in clear, so finding it proves the bytes read hold the rows.
  assert.ok(db.includes(fx.ann.learnerId), 'the rows are in the files read');
  for (const [what, t] of [
    ["Ann's token", fx.ann.token],
    ['the service token', fx.labd.serviceToken],
  ] as const) {
    assert.ok(!db.includes(t), `${what} is not in SQLite in clear`);
  }
});
