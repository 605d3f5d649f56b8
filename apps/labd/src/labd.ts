import { LabError } from './errors.ts';
import { serverConfig } from './server/env.ts';
import { startLabd } from './server/server.ts';

/**
 * The lab daemon: `labd [--host H] [--port P] [--state-dir DIR]` (also `lab serve`). Runs until
 * SIGTERM or SIGINT, then closes its sessions and exits; running labs are left up on purpose, and
 * the next labd finds them again through SQLite and their state files.
 */
export async function serve(argv: string[]): Promise<number> {
  const cfg = serverConfig(argv);
  let labd;
  try {
    labd = await startLabd(cfg);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new LabError(`port ${cfg.port} on ${cfg.host} is in use`, 'stop the other labd, or pass --port', 1);
    if (code === 'EACCES') throw new LabError(`may not listen on ${cfg.host}:${cfg.port}`, 'pick a port above 1023 or run as root', 1);
    throw e;
  }
  process.stdout.write(`labd listening on ${labd.url}\n`);
  process.stderr.write(`labd: state in ${cfg.stateDir} (service token: ${cfg.serviceToken ? 'from ELAB_SERVICE_TOKEN' : `${cfg.stateDir}/service-token`})\n`);
  const signal = await new Promise<string>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
  });
  process.stderr.write(`labd: ${signal}: closing sessions; labs keep running\n`);
  await labd.close();
  return 0;
}

/** Entry for bin/labd.mjs: errors a user can act on print as message + hint, not a stack. */
export async function main(argv: string[]): Promise<void> {
  try {
    process.exitCode = await serve(argv);
  } catch (e) {
    if (e instanceof LabError) {
      process.stderr.write(`labd: ${e.message}\n${e.hint ? `  ${e.hint}\n` : ''}`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`labd: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  }
  // Nothing left is worth waiting for (killed shells, idle sockets): leave now.
  process.exit();
}
