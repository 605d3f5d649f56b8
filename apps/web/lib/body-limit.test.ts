import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_FILE_BYTES } from '@ebpf-lab/protocol';
import { bodyLimitFor, BodyTooLarge, declaredTooLarge, readBody, readFormBody, readJsonBody, SMALL_BODY_BYTES } from './body-limit';

/** A request whose body arrives in `chunks` without a Content-Length; `pulled` counts chunks read. */
function chunked(chunks: Uint8Array[], headers: Record<string, string> = {}) {
  const state = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (state.pulled < chunks.length) c.enqueue(chunks[state.pulled++]!);
        else c.close();
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  const req = new Request('http://127.0.0.1/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
  return { req, state };
}

describe('body limits', () => {
  it('lab file PUTs get the file limit, everything else the small one', () => {
    assert.equal(bodyLimitFor('PUT', '/api/lab/hello-ebpf/files?path=a.c'), MAX_FILE_BYTES);
    assert.equal(bodyLimitFor('POST', '/api/lab/hello-ebpf/files'), SMALL_BODY_BYTES);
    assert.equal(bodyLimitFor('PUT', '/api/lab/hello-ebpf/files/../x'), SMALL_BODY_BYTES);
    assert.equal(bodyLimitFor('POST', '/instructor/api/session'), SMALL_BODY_BYTES);
  });

  it('a declared Content-Length over the limit is refused, naming the limit', () => {
    assert.match(declaredTooLarge({ 'content-length': String(MAX_FILE_BYTES + 1) }, MAX_FILE_BYTES)!, new RegExp(`over the ${MAX_FILE_BYTES}-byte limit`));
    assert.equal(declaredTooLarge({ 'content-length': String(MAX_FILE_BYTES) }, MAX_FILE_BYTES), null);
    assert.equal(declaredTooLarge({}, 10), null, 'no length: capped while reading instead');
  });

  it('a chunked body stops being read as soon as it passes the cap', async () => {
    const { req, state } = chunked(Array.from({ length: 100 }, () => new Uint8Array(1024)));
    await assert.rejects(readBody(req, 4096), (e: unknown) => e instanceof BodyTooLarge && e.limit === 4096);
    assert.ok(state.pulled <= 6, `read ${state.pulled} of 100 chunks`);
    assert.ok(state.cancelled, 'the stream was cancelled');
  });

  it('bodies within the limit come through whole', async () => {
    const { req } = chunked([new TextEncoder().encode('{"token":'), new TextEncoder().encode('"abc"}')]);
    assert.deepEqual(await readJsonBody(req), { token: 'abc' });
    const form = await readFormBody(
      new Request('http://127.0.0.1/x', { method: 'POST', body: 'code=AB12&name=Ana', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    );
    assert.equal(form?.get('name'), 'Ana');
    assert.equal(
      await readFormBody(new Request('http://127.0.0.1/x', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })),
      null,
      'not a form',
    );
  });
});
