import { spawnShell } from './drivers/shell.ts';
import type { LabInstance } from './drivers/types.ts';

/** Connects the caller's terminal to a pty inside the lab until the shell exits. */
export function attachTerminal(inst: LabInstance, node?: string): Promise<number> {
  const stdin = process.stdin;
  const term = spawnShell(inst.shellCommand({ node }), { cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
  return new Promise((resolve) => {
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.resume();
    const onInput = (d: Buffer) => term.write(d.toString('utf8'));
    const onResize = () => term.resize(process.stdout.columns || 80, process.stdout.rows || 24);
    stdin.on('data', onInput);
    process.stdout.on('resize', onResize);
    term.onData((d) => process.stdout.write(d));
    term.onExit(({ exitCode }) => {
      stdin.off('data', onInput);
      process.stdout.off('resize', onResize);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      resolve(exitCode);
    });
  });
}
