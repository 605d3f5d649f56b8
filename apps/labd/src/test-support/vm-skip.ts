import type { CapabilityReport } from '../drivers/types.ts';

/**
 * Why a real-guest vm test file does not run here (false: it runs), printed as its SKIP line. Each
 * boot is ~30 s of emulated CPU, so these run in the vm stage (scripts/test-vm.sh sets
 * ELAB_VM_INTEGRATION=1), not twice; `needsRoot` for tests that mount or read other processes.
 */
export function vmTestSkip(what: string, pre: CapabilityReport, o: { needsRoot?: boolean } = {}): string | false {
  const skip =
    o.needsRoot && process.getuid?.() !== 0
      ? 'needs root'
      : process.env.ELAB_VM_INTEGRATION !== '1'
        ? 'set ELAB_VM_INTEGRATION=1 (scripts/test-vm.sh does)'
        : pre.ok
          ? false
          : `this machine lacks: ${pre.missing.map((m) => `${m.what} (${m.fix})`).join('; ')}`;
  if (skip) console.log(`SKIP: ${what}: ${skip}`);
  return skip;
}
