import type { CheckContext } from '@ebpf-lab/check-sdk';
import { hookCheck } from '../../lib/hook-check.ts';

/** Passes when xdp_drop on lab's eth0 drops and counts gen → UDP 9001 and lets other traffic pass. */
export default (ctx: CheckContext) => hookCheck(ctx, 'xdp');
