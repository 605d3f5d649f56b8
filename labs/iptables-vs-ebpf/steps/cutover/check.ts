import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { attachedSvclb, FIRST_SERVICE, labBackends, natTables, rulesFor, type NatTable, type Svclb } from '../../lib/lab-state.ts';
import { describeProbe, probeAll, probeProblem, probeVip, sampleServices, serviceChains, svclbStats, vipOf } from '../../lib/probe.ts';

const VIP = FIRST_SERVICE.split(':')[0]!;
const TRIES = 10;

/**
 * Passes when svc-1 is gone from iptables (no rule names its VIP or its comment, and its own
 * KUBE-SVC/KUBE-SEP chains are deleted, not just emptied), its VIP still answers from the backend
 * pods with svclb's rewrite counter growing for every one of the check's connects (so eBPF
 * carried them), and the services that were not moved still answer through iptables.
 */
export default async function check(ctx: CheckContext) {
  let tables: NatTable[];
  let lb: Svclb | null;
  let backends: string[];
  let target: number;
  try {
    [tables, lb, backends] = [await natTables(ctx), await attachedSvclb(ctx), await labBackends(ctx)];
    target = Number(((await ctx.readFile('.lab/target-n')) ?? '').trim());
  } catch (e) {
    return checkError(`reading the lab's nat tables or BPF state: ${(e as Error).message}`);
  }
  if (!Number.isInteger(target) || target < 2) return checkError('.lab/target-n is missing or not a number: the lab setup did not finish; start a new lab');
  const expected = `no nat rule or chain of svc-1 left; http://${VIP}/ answers through svclb (rewrites grow); svc-2 … svc-${target} still answer through iptables`;
  const left = [...rulesFor(tables, VIP), ...tables.flatMap((t) => t.rules.filter((r) => r.includes('default/svc-1:')).map((r) => `${t.backend}: ${r}`))];
  const own = serviceChains(1, backends);
  const stale = tables.flatMap((t) => t.chains.filter((c) => own.includes(c)).map((c) => `${t.backend}: ${c}`));
  const inMap = !!lb?.services.some((s) => s.service === FIRST_SERVICE && s.backends.length > 0);
  const state = `${new Set(left).size} nat rule(s) for svc-1, ${stale.length} of its chains still declared; svclb ${lb ? `attached, map ${inMap ? 'has' : 'lacks'} ${FIRST_SERVICE}` : 'not attached'}`;
  const entry = left.find((r) => / -A KUBE-SERVICES /.test(` ${r.split(': ').slice(1).join(': ')}`));
  if (!tables.some((t) => t.chains.some((c) => c.startsWith('KUBE-SVC-')))) {
    if (inMap)
      return fail(
        `every service's rules are gone, not only svc-1's: svc-2 … svc-${target} no longer answer. Rebuild the table (./kube-rules.py --n ${target} | iptables-nft-restore) and remove only svc-1's rule and chains`,
        { expected, actual: state },
      );
    return fail(
      `there are no kube-proxy rules in this lab at all, so there is nothing to cut over: build them (step 1), attach svclb and give it svc-1 (step 2), then remove only svc-1's rules`,
      { expected, actual: state },
    );
  }
  if (left.length && !entry) {
    return fail(
      `svc-1's KUBE-SERVICES rule is gone, but ${new Set(left).size} rule(s) in its own chains remain: flush (-F) and delete (-X) its KUBE-SVC chain and its three KUBE-SEP chains (iptables-nft-save -t nat | grep svc-1: shows them)`,
      { expected, actual: `${state}; e.g. ${left[0]}` },
    );
  }
  if (left.length) {
    return fail(
      `${new Set(left).size} nat rule(s) still belong to svc-1: delete its KUBE-SERVICES rule (-D with the rule as iptables-nft-save prints it), then flush (-F) and delete (-X) its KUBE-SVC and KUBE-SEP chains`,
      { expected, actual: `${state}; e.g. ${left[0]}` },
    );
  }
  if (stale.length) {
    return fail(
      `svc-1's rules are gone, but ${stale.length} of its chains are still declared (e.g. ${stale[0]}): delete each with iptables-nft -t nat -X CHAIN`,
      { expected, actual: state },
    );
  }
  if (!lb)
    return fail(
      "svc-1 is out of iptables, but svclb is no longer attached to the lab's cgroup, so nothing serves its VIP: ./bpf/.output/svclb attach (step 2)",
      { expected, actual: state },
    );
  if (!inMap)
    return fail(
      `svc-1 is out of iptables, but svclb's map does not have ${FIRST_SERVICE} either: ./bpf/.output/svclb add ${FIRST_SERVICE} $(cat .lab/backends) (step 2)`,
      { expected, actual: state },
    );
  let probe, before, after;
  try {
    before = await svclbStats(ctx, lb.progId);
    probe = await probeVip(ctx, VIP, TRIES);
    after = await svclbStats(ctx, lb.progId);
  } catch (e) {
    return checkError(`probing ${VIP} or reading svclb's counters: ${(e as Error).message}`);
  }
  const grew = before && after ? after.rewrites - before.rewrites : 0;
  const seen = `${state}; ${describeProbe(probe)}; svclb rewrites +${grew}`;
  const broken = probeProblem(probe, TRIES);
  if (broken)
    return fail(`${broken}: svc-1 now depends on svclb alone; check ./bpf/.output/svclb list (backends must be the pods in .lab/backends)`, {
      expected,
      actual: seen,
    });
  if (grew < TRIES)
    return fail(`${VIP} answered, but svclb rewrote only ${grew} of the check's ${TRIES} connects: something else carries svc-1's traffic`, {
      expected,
      actual: seen,
    });
  // The other services were not to be touched: they must still work through their rules.
  const { probes: others, broken: hurt } = await probeAll(ctx, sampleServices(target).map(vipOf), TRIES);
  const othersSeen = others.map(describeProbe).join('; ');
  if (hurt) {
    return fail(
      `svc-1 moved correctly, but another service broke: ${hurt}. Only svc-1's rule and chains were to go; rebuild the table with ./kube-rules.py --n ${target} and do the cutover again`,
      { expected, actual: `${seen}; ${othersSeen}` },
    );
  }
  return pass(
    `${VIP} answers through svclb alone (${grew} rewrites for ${TRIES} connects, no nat rule or chain of svc-1 left) and svc-2 … svc-${target} still answer through iptables`,
    { expected, actual: `${seen}; ${othersSeen}` },
  );
}
