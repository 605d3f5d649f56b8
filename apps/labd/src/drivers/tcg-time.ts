import { cpus, loadavg } from 'node:os';

/**
 * How many times longer than on the host a check or script may take in an emulated (TCG) guest,
 * for every driver that runs one (vm, vagrant on libvirt).
 * Under TCG a fork+exec costs ~30x the host's; whole checks measured ~4x slower on an idle host.
 * An emulated guest's speed is the host CPU it gets, so on a host with more runnable threads than
 * cores (load average above the core count) it slows by about that ratio: a check that needs 20 s
 * idle took over 80 s at load 25 on 2 cores, and failed as a check error though the work was right.
 * So the factor follows the load, up to 4 times more (a wedged check still ends).
 */
export function tcgTimeScale(load1 = loadavg()[0]!, cores = cpus().length): number {
  const contention = Math.min(4, Math.max(1, load1 / Math.max(1, cores)));
  return Math.round(4 * contention * 10) / 10;
}
