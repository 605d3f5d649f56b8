import { checkError, fail, pass, type CheckContext, type CheckOutcome } from '@ebpf-lab/check-sdk';
import { attachedSvclb, natTables, serviceVip, type NatTable } from '../../lib/lab-state.ts';
import { describeProbe, probeAll, sampleServices, vipOf } from '../../lib/probe.ts';

const TRIES = 10;

/** What one nat table says about svc-1..svc-N; services moved to svclb count as programmed. */
function judge(t: NatTable, target: number, inMap: Set<string>, expected: string): CheckOutcome {
  const want = Array.from({ length: target }, (_, i) => `${serviceVip(i + 1)}:80`);
  const wanted = new Set(want);
  const svcChains = t.chains.filter((c) => c.startsWith('KUBE-SVC-'));
  const referenced = new Set(t.services.values());
  const inIpt = want.filter((k) => t.services.has(k));
  const moved = want.filter((k) => !t.services.has(k) && inMap.has(k));
  const missing = want.filter((k) => !t.services.has(k) && !inMap.has(k));
  const extra = [...t.services.keys()].filter((k) => !wanted.has(k));
  const orphans = svcChains.filter((c) => !referenced.has(c));
  const actual = `iptables-${t.backend}: ${svcChains.length} KUBE-SVC chains, ${t.services.size} KUBE-SERVICES rules${moved.length ? `, ${moved.length} service(s) in the svclb map instead` : ''}`;
  if (extra.length)
    return fail(`there are more services than the lab asked for (e.g. ${extra[0]}): build exactly ${target} (cat .lab/target-n) and restore the table whole`, {
      expected,
      actual,
    });
  if (orphans.length)
    return fail(
      `${orphans.length} KUBE-SVC chain(s) have no KUBE-SERVICES rule pointing at them (e.g. ${orphans[0]}): remove a service's chains together with its rule`,
      { expected, actual },
    );
  if (missing.length)
    return fail(`${missing.length} of the ${target} services have no rule, e.g. svc-${want.indexOf(missing[0]!) + 1} (${missing[0]}): build --n ${target}`, {
      expected,
      actual,
    });
  const note = moved.length ? ` (${inIpt.length} in iptables, ${moved.length} moved to svclb)` : '';
  return pass(`iptables-${t.backend} programs all ${target} services the lab asked for${note}`, { expected, actual });
}

/**
 * Passes when one iptables backend holds kube-proxy's rules for exactly the N services the lab
 * asked for (.lab/target-n): a KUBE-SERVICES rule and a KUBE-SVC chain for each of svc-1..svc-N,
 * AND the services work: the check itself connects to svc-1, svc-2, one from the middle and the
 * last one, 10 times each, and every connection must reach a backend pod, spread over more than
 * one. A service moved to svclb in the cutover step counts as programmed when the svclb map has it.
 */
export default async function check(ctx: CheckContext) {
  const target = Number(((await ctx.readFile('.lab/target-n')) ?? '').trim());
  if (!Number.isInteger(target) || target < 1) return checkError('.lab/target-n is missing or not a number: the lab setup did not finish; start a new lab');
  const expected = `${target} services (svc-1 … svc-${target}): one KUBE-SERVICES rule and one KUBE-SVC chain each`;
  let tables: NatTable[];
  let inMap: Set<string>;
  try {
    tables = await natTables(ctx);
    inMap = new Set(((await attachedSvclb(ctx))?.services ?? []).map((s) => s.service));
  } catch (e) {
    return checkError(`reading the lab's nat tables or BPF state: ${(e as Error).message}`);
  }
  const withRules = tables.filter((t) => t.chains.some((c) => c.startsWith('KUBE-SVC-')));
  if (withRules.length === 0) {
    return fail(`no KUBE-SVC chains yet: generate the rules for ${target} services with ./kube-rules.py --n ${target} and load them with iptables-restore`, {
      expected,
      actual: 'no KUBE-SVC chain in the nat table of iptables-nft or iptables-legacy',
    });
  }
  const verdicts = withRules.map((t) => judge(t, target, inMap, expected));
  const rules = verdicts.find((v) => v.status === 'pass');
  if (!rules) return verdicts[0]!;
  // Rules that look right are not enough: they must deliver. Connect as a pod would.
  const { probes, broken } = await probeAll(ctx, [1, ...sampleServices(target)].map(vipOf), TRIES);
  const seen = probes.map(describeProbe).join('; ');
  if (broken) {
    return fail(
      `the rules are there, but the services do not work: ${broken}. Look at the KUBE-SEP chains' DNAT targets (they must be the pods in .lab/backends) and at the OUTPUT → KUBE-SERVICES jump (locally made connections only meet OUTPUT); regenerate with ./kube-rules.py --n ${target} and restore the table whole`,
      {
        expected: `${expected}; each probed VIP answers from the backend pods`,
        actual: `${rules.actual}; ${seen}`,
      },
    );
  }
  return pass(`${rules.message}, and they answer: ${probes.length} services probed ${TRIES} times each, every connection reached a backend pod`, {
    expected,
    actual: `${rules.actual}; ${seen}`,
  });
}
