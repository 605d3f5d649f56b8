import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { parseProcStat, processAlive, procStartTime } from './proc-stat.ts';

test('parseProcStat counts fields from the last ")": a command name with ") Z " cannot fool it', () => {
  const tail = Array.from({ length: 30 }, (_, i) => String(i + 4)).join(' ');
  const line = `4242 (evil) Z 1 2) S 1 ${tail}`;
  const s = parseProcStat(line)!;
  assert.equal(s.state, 'S');
  assert.equal(s.startTime, '21', 'field 22 is the 20th after the state');
  assert.equal(parseProcStat('garbage'), null);
});

test('this process is alive with a start time that does not change; an exited child is not alive', async () => {
  assert.ok(processAlive(process.pid));
  const t = procStartTime(process.pid);
  assert.match(t ?? '', /^\d+$/);
  assert.equal(procStartTime(process.pid), t);
  const child = spawn('true');
  const pid = child.pid!;
  await new Promise((r) => child.on('exit', r));
  // Node has reaped it by the exit event; the pid is free (or, rarely, reused by another process).
  const again = procStartTime(pid);
  assert.ok(again === null || again !== t);
  assert.equal(processAlive(undefined), false);
});
