import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/lab-spec';
import { attachedSvclb, FIRST_SERVICE, natTables, rulesFor, type NatTable, type Svclb } from '../../lib/lab-state.ts';

const VIP = FIRST_SERVICE.split(':')[0]!;

/**
 * Passes when svc-1's ClusterIP answers HTTP (curl's exit code and status) while no rule in
 * either backend's nat table mentions that IP, and the svclb map holds it: the eBPF datapath
 * alone carried the connection.
 */
export default async function check(ctx: CheckContext) {
  let tables: NatTable[];
  let lb: Svclb | null;
  try {
    [tables, lb] = [await natTables(ctx), await attachedSvclb(ctx)];
  } catch (e) { return checkError(`reading the lab's nat tables or BPF state: ${(e as Error).message}`); }
  const expected = `http://${VIP}/ answers 200; no nat rule names ${VIP}; svclb's map has ${FIRST_SERVICE}`;
  const left = rulesFor(tables, VIP);
  const inMap = !!lb?.services.some((s) => s.service === FIRST_SERVICE && s.backends.length > 0);
  const curl = await ctx.exec(`curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://${VIP}/`, { timeoutMs: 5000 });
  const answered = curl.code === 0 && curl.stdout.trim() === '200';
  const actual = `curl exit ${curl.code}${answered ? ' (200)' : curl.stdout.trim() ? ` (${curl.stdout.trim()})` : ''}; ${left.length} nat rule(s) name ${VIP}; svclb map ${inMap ? 'has' : 'lacks'} it`;
  if (left.length) {
    return fail(`${left.length} nat rule(s) still name ${VIP}: delete svc-1's KUBE-SERVICES rule, then flush and delete its KUBE-SVC and KUBE-SEP chains`, { expected, actual: `${actual}; e.g. ${left[0]}` });
  }
  if (!inMap) return fail(`no iptables rule is left for ${VIP}, but svclb's map does not have ${FIRST_SERVICE} either: add it (step 2)`, { expected, actual });
  if (!answered) return fail(`${VIP} does not answer: is svclb attached to /sys/fs/cgroup and are the backends in its map reachable?`, { expected, actual });
  return pass(`${VIP} answers through svclb alone: no nat rule in either backend names it`, { expected, actual });
}
