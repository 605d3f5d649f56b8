// The web never buffers a body its route cannot use (lib/body-limit.ts), against the production
// server and a real labd: a declared oversized body is refused with 413 before it is read, a
// chunked one as soon as it passes the cap, a stranger's upload is not read at all, and the web's
// memory stays flat. Before the fix a cookie-less 400 MB PUT grew the web by over 1 GB.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { before, describe, it } from 'node:test';
import { MAX_FILE_BYTES } from '@ebpf-lab/protocol';
import { webStack } from './support/stack';

const skip = process.getuid?.() !== 0 && 'needs root (labd, netns labs)';
const MiB = 1024 * 1024;

interface Reply {
  status: number;
  body: string;
  sent: number;
}

/**
 * Streams `size` bytes in 64 KiB chunks (chunked unless `declare`), stopping as soon as the answer
 * comes: a server that refuses early must not have to swallow the rest. `sent` counts what went out.
 */
function upload(url: string, method: string, path: string, size: number, opts: { headers: Record<string, string>; declare?: boolean }): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(
      { host: u.hostname, port: u.port, method, path, headers: { ...opts.headers, ...(opts.declare ? { 'content-length': String(size) } : {}) } },
      (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sent }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body, sent }));
      },
    );
    // A refusal may close the socket under the rest of the upload; the answer is what counts.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!answered && sent < size) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

describe('web body limits', { skip }, () => {
  const fx = webStack();
  let origin = '';
  let host = '';
  before(() => {
    ({ origin, host } = fx);
  });

  it('a 50 MB cookie-less PUT is refused with 413 before it is read; the web does not grow', { timeout: 120_000 }, async () => {
    const pid = fx.web.proc.pid!;
    // Warm the route up so its first compile/load is not counted as growth.
    await upload(fx.web.url, 'PUT', '/api/lab/hello-ebpf/files?path=x', 10, { headers: { host, origin } });
    const rssBefore = rssKiB(pid);
    const started = Date.now();
    const r = await upload(fx.web.url, 'PUT', '/api/lab/hello-ebpf/files?path=x', 50 * MiB, { headers: { host, origin }, declare: true });
    const took = Date.now() - started;
    const grew = rssKiB(pid) - rssBefore;
    console.error(`# declared 50 MB: ${r.status} after ${took} ms, ${(r.sent / MiB).toFixed(1)} MiB sent, web RSS ${rssBefore} KiB → +${grew} KiB`);
    assert.equal(r.status, 413, r.body);
    assert.match(r.body, new RegExp(`over the ${MAX_FILE_BYTES}-byte limit`), 'the answer names the limit');
    assert.ok(r.sent < 50 * MiB, `the answer came before the whole body was sent (${r.sent} bytes)`);
    assert.ok(grew < 8 * 1024, `the web grew by ${grew} KiB`);
  });

  it('a chunked cookie-less 50 MB PUT is answered 401 without reading it; the web does not grow', { timeout: 120_000 }, async () => {
    const pid = fx.web.proc.pid!;
    const rssBefore = rssKiB(pid);
    const r = await upload(fx.web.url, 'PUT', '/api/lab/hello-ebpf/files?path=x', 50 * MiB, { headers: { host, origin } });
    const grew = rssKiB(pid) - rssBefore;
    console.error(`# chunked 50 MB, no cookie: ${r.status}, ${(r.sent / MiB).toFixed(1)} MiB sent, web RSS +${grew} KiB`);
    assert.equal(r.status, 401, r.body);
    assert.ok(r.sent < 50 * MiB, `the answer came before the whole body was sent (${r.sent} bytes)`);
    assert.ok(grew < 8 * 1024, `the web grew by ${grew} KiB`);
  });

  it('chunked bodies over the cap get 413 on every route that reads one', { timeout: 60_000 }, async () => {
    const made = await upload(fx.web.url, 'POST', '/api/learner', 0, { headers: { host, origin } });
    assert.equal(made.status, 201, made.body);
    for (const [path, size, extra] of [
      ['/instructor/api/session', 1 * MiB, { 'content-type': 'application/json' }],
      ['/join/api/enter', 1 * MiB, { 'content-type': 'application/x-www-form-urlencoded' }],
    ] as const) {
      const r = await upload(fx.web.url, 'POST', path, size, { headers: { host, origin, ...extra } });
      assert.equal(r.status, 413, `${path}: ${r.status} ${r.body}`);
      assert.match(r.body, /over the 65536-byte limit/, path);
      const declared = await upload(fx.web.url, 'POST', path, size, { headers: { host, origin, ...extra }, declare: true });
      assert.equal(declared.status, 413, `${path} with Content-Length: ${declared.status} ${declared.body}`);
    }
  });

  it('a learner saves a 100 KB file; a chunked 2 MB save gets 413 and nothing is written', { timeout: 180_000 }, async () => {
    const made = await new Promise<string>((resolve, reject) => {
      const req = request(`${fx.web.url}/api/learner`, { method: 'POST', headers: { host, origin } }, (res) => {
        res.resume();
        resolve(String(res.headers['set-cookie']![0]).split(';')[0]!);
      });
      req.on('error', reject).end();
    });
    const cookie = made;
    const api = (method: string, path: string, body?: Uint8Array<ArrayBuffer>) => fetch(`${fx.web.url}${path}`, { method, headers: { origin, cookie }, body });
    assert.equal((await api('POST', '/api/lab/hello-ebpf')).status, 200);
    try {
      for (let i = 0; i < 240; i++) {
        const state = ((await (await api('GET', '/api/lab/hello-ebpf')).json()) as { state?: string }).state;
        if (state === 'ready') break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const file = new Uint8Array(100 * 1024).fill(0x78);
      const put = await api('PUT', '/api/lab/hello-ebpf/files?path=notes.txt', file);
      assert.equal(put.status, 204, await put.text());
      const got = await api('GET', '/api/lab/hello-ebpf/files?path=notes.txt');
      assert.equal(got.status, 200);
      assert.deepEqual(new Uint8Array(await got.arrayBuffer()), file, 'the file came back as saved');

      const big = await upload(fx.web.url, 'PUT', '/api/lab/hello-ebpf/files?path=big.txt', 2 * MiB, { headers: { host, origin, cookie } });
      assert.equal(big.status, 413, big.body);
      assert.match(big.body, new RegExp(`over the ${MAX_FILE_BYTES}-byte limit`));
      assert.equal((await api('GET', '/api/lab/hello-ebpf/files?path=big.txt')).status, 404, 'nothing was written');
    } finally {
      await api('DELETE', '/api/lab/hello-ebpf');
    }
  });
});
