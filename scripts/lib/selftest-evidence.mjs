// Reads a `lab selftest --json` report, prints what it found step by step, and demands evidence:
// each STEP=REGEX must match that step's solved check (its message and `actual`) in every run.
// A passing step is not enough where the check accepts two forms (hello: the kprobe, or the
// tracepoint fallback on a kernel without kprobes): the stage must show which one ran.
// usage: node scripts/lib/selftest-evidence.mjs REPORT.json [STEP=REGEX ...]   exits 1 on a miss
import { readFileSync } from 'node:fs';

const [file, ...wants] = process.argv.slice(2);
if (!file) {
  console.error('usage: selftest-evidence.mjs REPORT.json [STEP=REGEX ...]');
  process.exit(2);
}
let rep;
try {
  rep = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`selftest-evidence: ${file} is not a selftest report (${e.message})`);
  process.exit(1);
}
const bad = [];
for (const run of rep.runs ?? []) {
  const st = (rs) => rs.map((r) => `${r.step}=${r.status}`).join(' ') || '-';
  console.log(
    `${run.ok ? 'ok  ' : 'FAIL'} ${run.lab} #${run.repetition}  up ${(run.upMs / 1000).toFixed(1)} s, all ${(run.ms / 1000).toFixed(1)} s  fresh: ${st(run.before)}  solved: ${st(run.after)}`,
  );
  for (const p of run.problems) console.log(`       - ${p}`);
  for (const r of run.after) console.log(`       ${r.step} (${(r.ms / 1000).toFixed(1)} s): ${r.message}${r.actual ? ` [${r.actual}]` : ''}`);
  for (const w of wants) {
    const [step, re] = [w.slice(0, w.indexOf('=')), new RegExp(w.slice(w.indexOf('=') + 1))];
    const r = run.after.find((x) => x.step === step);
    const text = r ? `${r.message} ${r.actual ?? ''}` : '';
    if (!r || r.status !== 'pass' || !re.test(text))
      bad.push(`${run.lab} #${run.repetition} ${step}: wanted ${re} in the solved check, got ${r ? `${r.status}: ${text}` : 'no such step'}`);
  }
}
if (!rep.runs?.length) bad.push('the report has no runs');
if (rep.flaky?.length) bad.push(`flaky: ${rep.flaky.join(', ')}`);
for (const b of bad) console.log(`MISSING ${b}`);
console.log(`selftest: ${rep.ok ? 'ok' : 'FAILED'}, ${(rep.ms / 1000).toFixed(1)} s${bad.length ? `, ${bad.length} piece(s) of evidence missing` : ''}`);
process.exit(rep.ok && !bad.length ? 0 : 1);
