import { getDriver } from '../../drivers/registry.ts';
import { loadState } from '../../instances.ts';
import type { SessionRegistry } from '../registry.ts';
import { connectHolder } from './holder-client.ts';
import { endHolder, reapHolders, terminalsDir } from './holders.ts';
import { holderAlive, listRecords, removeRecord } from './records.ts';

/** Whether an instance's lab still runs; unknown (a driver that cannot answer here) counts as live. */
export async function instanceLive(instanceId: string): Promise<boolean> {
  const state = loadState(instanceId);
  if (!state) return false;
  try {
    return await (await getDriver(state.driver)).attach(state).alive();
  } catch {
    return true; // the holder's own orphan grace period ends it if nothing ever comes back for it
  }
}

/**
 * After a labd (re)start: reattaches every live holder whose lab still runs, so the learner's
 * next socket finds the same shell with its scrollback; ends holders whose lab is gone and clears
 * the records of holders that died while labd was away. Returns what it did, for the log.
 */
export async function restoreSessions(registry: SessionRegistry): Promise<{ reattached: string[]; ended: string[] }> {
  const dir = terminalsDir();
  const reattached: string[] = [];
  const ended = await reapHolders(instanceLive, dir);
  // In parallel: one slow or wedged holder (10 s connect timeout) must not hold up the others.
  await Promise.all(
    listRecords(dir).map(async (r) => {
      if (!holderAlive(r)) {
        removeRecord(dir, r.id);
        return;
      }
      try {
        const shell = await connectHolder(r);
        registry.adopt({ learnerId: r.learnerId, instanceId: r.instanceId, node: r.node }, r.id, shell, true);
        reattached.push(r.id);
      } catch (e) {
        process.stderr.write(`labd: could not reattach terminal ${r.id}, ending it: ${(e as Error).message}\n`);
        await endHolder(r, dir);
        ended.push(r.id);
      }
    }),
  );
  return { reattached, ended };
}
