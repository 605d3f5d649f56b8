// onSseEvent against a real EventTarget and MessageEvents (what EventSource dispatches): events
// that fit packages/api's schema reach the page, others are dropped with the field named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onSseEvent } from './sse.ts';

const ROOM = 'GET /v1/classes/events';
const send = (es: EventTarget, event: string, data: unknown) =>
  es.dispatchEvent(new MessageEvent(event, { data: typeof data === 'string' ? data : JSON.stringify(data) }));

test('a broadcast that fits its schema is handed on, typed; a bad one, garbage or a wrong shape is dropped and logged', () => {
  const es = new EventTarget() as EventSource;
  const got: number[] = [];
  const logged: string[] = [];
  const error = console.error;
  console.error = (m: string) => logged.push(m);
  try {
    onSseEvent(es, ROOM, 'broadcast', (b) => got.push(b.id));
    send(es, 'broadcast', { id: 7, classId: 'c1', kind: 'message', message: 'hello', createdAt: new Date().toISOString() });
    send(es, 'broadcast', { id: 8, classId: 'c1', kind: 'message', createdAt: new Date().toISOString() }); // no message
    send(es, 'broadcast', 'not json');
    send(es, 'broadcast', { id: 'nine', classId: 'c1', kind: 'shout', message: 'x', createdAt: 'now' });
  } finally {
    console.error = error;
  }
  assert.deepEqual(got, [7]);
  assert.equal(logged.length, 3);
  assert.match(logged[0]!, /"broadcast" event of GET \/v1\/classes\/events.*message/);
});

test('only the named event is listened to', () => {
  const es = new EventTarget() as EventSource;
  let n = 0;
  onSseEvent(es, ROOM, 'ended', () => n++);
  send(es, 'broadcast', { id: 1 });
  send(es, 'ended', { classId: 'c1', endedAt: new Date().toISOString() });
  assert.equal(n, 1);
});
