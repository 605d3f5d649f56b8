import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DisplayName, displayNameProblem } from './display-name.ts';

test('display names: printable text of 1–60 characters, nothing else', () => {
  for (const ok of ['Ann', '  Bob  ', '김민수', "Zoë O'Neil", 'a'.repeat(60), '🙂 Ann', '👩‍💻 Ann']) assert.equal(displayNameProblem(ok), null, ok);
  for (const bad of ['Ann\r\nSet-Cookie: x', 'Ann\nBob', 'tab\there', 'nul\0', 'rtl\u202Eevil', 'line\u2028sep', 'esc\x1b[31m']) {
    assert.match(displayNameProblem(bad) ?? '', /printable text only/, JSON.stringify(bad));
  }
  assert.match(displayNameProblem('   ') ?? '', /enter a display name/);
  assert.match(displayNameProblem('a'.repeat(61)) ?? '', /at most 60/);
  const r = DisplayName.safeParse('Ann\r\n');
  assert.equal(r.success, true, 'trailing whitespace (CR/LF included) is trimmed away');
  const bad = DisplayName.safeParse('A\r\nB');
  assert.equal(bad.success, false);
  assert.equal(DisplayName.parse('  Ann '), 'Ann');
});
