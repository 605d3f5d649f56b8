// What every driver puts in a fresh workdir (netns) or seed (vm, vagrant: copied into the guest as
// is): the real xdp and iptables-vs-ebpf labs get include paths, the shared .lab/record.py from the
// lab library, and their own files/ on top.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findLab } from '../engine.ts';
import { config } from '../config.ts';
import { stageLabFiles } from './stage-files.ts';

for (const id of ['xdp', 'iptables-vs-ebpf']) {
  test(`${id}: include, the lab library's record.py and options.sh, and files/ all land in the workdir`, () => {
    const lab = findLab(id);
    const dest = mkdtempSync(join(tmpdir(), `elab-stage-${id}-`));
    stageLabFiles(lab, dest);
    for (const f of ['record.py', 'options.sh']) {
      const shared = readFileSync(join(config().labsDir, '_lib', f), 'utf8');
      assert.equal(readFileSync(join(dest, '.lab', f), 'utf8'), shared, `the one shared copy of ${f}`);
    }
    assert.ok(existsSync(join(dest, 'bpf/Makefile')), 'include: arrived');
    assert.ok(existsSync(join(dest, 'measure.sh')), 'files/ arrived');
    assert.match(readFileSync(join(dest, 'measure.sh'), 'utf8'), /python3 \.lab\/record\.py "\$out" "\$RESULTS" "\$point" series\.id=/);
  });
}
