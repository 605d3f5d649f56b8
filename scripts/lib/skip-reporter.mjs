// A node:test reporter that prints one `SKIP: <test> — <reason>` line per skipped test or suite,
// used beside the spec reporter so scripts/test.sh can count skips by reason (a skip that is
// only a grey dash in the spec output is easy to miss in CI).
import { relative } from 'node:path';

export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, name, file } = event.data;
    if (skip === undefined || skip === false) continue;
    const reason = typeof skip === 'string' && skip ? skip : 'skipped without a reason';
    const where = file ? `${relative(process.cwd(), file)}: ` : '';
    yield `SKIP: ${where}${name} — ${reason}\n`;
  }
}
