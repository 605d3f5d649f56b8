import { rmSync } from 'node:fs';
import type { HeldShell } from './holder-client.ts';

/**
 * For the holder tests: starts bash under a real holder (in the private state dir the test set in
 * ELAB_STATE_DIR before importing this) and ends every holder it started at `cleanUp`.
 */
export function testHolders(prefix: string) {
  const started: string[] = [];
  let n = 0;
  return {
    started,
    async holder(args: string[] = ['--norc', '--noprofile', '-i']): Promise<HeldShell> {
      const { startHolder } = await import('./holder-client.ts');
      const id = `${prefix}${process.pid}x${n++}`;
      started.push(id);
      return startHolder({
        id,
        key: { learnerId: 'l', instanceId: 'i', node: 'n' },
        cols: 80,
        rows: 24,
        command: { file: '/bin/bash', args, cwd: '/', env: { PATH: '/usr/bin:/bin', TERM: 'xterm-256color', PS1: '$ ' } },
      });
    },
    async cleanUp(): Promise<void> {
      const { endHolder, terminalsDir } = await import('./holders.ts');
      const { listRecords } = await import('./records.ts');
      for (const r of listRecords(terminalsDir())) if (started.includes(r.id)) await endHolder(r);
      rmSync(process.env.ELAB_STATE_DIR!, { recursive: true, force: true });
    },
  };
}
