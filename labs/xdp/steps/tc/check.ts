import type { CheckContext } from '@ebpf-lab/check-sdk';
import { hookCheck } from '../../lib/hook-check.ts';

/** Passes when tc_drop at tc ingress of lab's eth0 drops and counts gen → UDP 9002 and lets other traffic pass. */
export default (ctx: CheckContext) => hookCheck(ctx, 'tc');
