import { fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import {
  curlFrom,
  curlMeaning,
  dumpPinned,
  ipOf,
  labelSet,
  parseWhoami,
  PIN_DIR,
  pod,
  POLICY_DEV,
  POLICY_NODE,
  policyTc,
  pods,
  pingTtl,
} from '../../lib/cluster.ts';

interface Verdicts {
  allowed: number;
  denied: number;
}
interface Rule {
  src_identity: number;
  dst_identity: number;
  dport: number;
  proto: number;
}

const TARGET = 'deathstar';
/** rule1.yaml: fromEndpoints org=empire. Every other pod that can reach deathstar's veth must be dropped. */
const admitted = (name: string) => pod(name).labels.org === 'empire';
const CLIENTS = pods.map((p) => p.name).filter((n) => n !== TARGET); // deathstar's own traffic never crosses its veth
const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };

/** Why a pod that must be dropped got through, in the learner's terms. */
async function whyLands(ctx: CheckContext, who: string, rules: Rule[], ids: Map<string, number>): Promise<string> {
  if (!(await policyTc(ctx)).egress)
    return `to_container is not attached at tc egress of ${POLICY_DEV} on ${POLICY_NODE}, so nothing filters deathstar's traffic (step 2)`;
  const d = ids.get(pod(TARGET).ip);
  if (d === undefined)
    return `deathstar has no identity in idp_ipcache, so the program leaves it alone (unmanaged, everything passes): give it back its identity (step 3)`;
  const src = ids.get(pod(who).ip) ?? 2;
  const rule = rules.find((r) => r.src_identity === src && r.dst_identity === d);
  if (rule)
    return `the rule ${rule.src_identity} → ${d}:${rule.dport}/${PROTO[rule.proto] ?? rule.proto} lets ${who} (${labelSet(pod(who))}) in: revoke it (./bpf/.output/idpolicy revoke ${rule.src_identity} ${d} ${rule.dport}/${PROTO[rule.proto] ?? rule.proto})`;
  return `look for the rule or identity that lets ${who} through (bpftool map dump pinned ${PIN_DIR}/idp_policy)`;
}

/**
 * Passes when rule1 holds for every pod that can reach the deathstar, probed by the check itself:
 * tiefighter (org=empire) gets an answer on 80/tcp, while netpod, webpod1, webpod2 and xwing time
 * out (curl exit 28: dropped, not refused); tiefighter's ping is dropped too (rule1 is TCP port 80
 * only, nothing broader); and idpolicy's own counters show it made those calls (denied grows by
 * at least one per refused pod, tiefighter's rule counts packets).
 */
export default async function check(ctx: CheckContext) {
  const verdicts = async () => (await dumpPinned<number, Verdicts>(ctx, 'idp_verdicts'))?.[0]?.value ?? null;
  const ruleDump = async () => (await dumpPinned<Rule, { packets: number }>(ctx, 'idp_policy')) ?? [];
  const before = await verdicts();
  if (before === null)
    return fail(`idpolicy is not set up on ${POLICY_NODE} (no ${PIN_DIR}/idp_verdicts): do the previous steps first`, { actual: `no ${PIN_DIR}/idp_verdicts` });
  const rulesBefore = await ruleDump();
  const [curls, ping] = await Promise.all([Promise.all(CLIENTS.map((c) => curlFrom(ctx, c, TARGET))), pingTtl(ctx, 'tiefighter', pod(TARGET).ip)]);
  const after = await verdicts();
  const rules = await ruleDump();
  const ids = new Map(((await dumpPinned<{ addr: number[] }, number>(ctx, 'idp_ipcache')) ?? []).map((e) => [ipOf(e.key), e.value]));
  const result = new Map(CLIENTS.map((c, i) => [c, curls[i]!]));
  const ruleText =
    rules.map((r) => `${r.key.src_identity}→${r.key.dst_identity}:${r.key.dport}/${PROTO[r.key.proto] ?? r.key.proto} (${r.value.packets} pkts)`).join(', ') ||
    'no rules';
  const actual = `${CLIENTS.map((c) => `${c}: ${curlMeaning(result.get(c)!.code)}`).join('; ')}; tiefighter ping: ${ping === null ? 'dropped' : 'answered'}; rules: ${ruleText}`;
  const expected = `${CLIENTS.map((c) => `${c} ${admitted(c) ? 'answered' : 'timed out'}`).join(', ')}; tiefighter's ping dropped`;

  for (const c of CLIENTS.filter((x) => !admitted(x))) {
    if (result.get(c)!.code === 0)
      return fail(
        `${c} reaches the deathstar, but rule1 admits only org=empire: ${await whyLands(
          ctx,
          c,
          rules.map((r) => r.key),
          ids,
        )}`,
        { expected, actual },
      );
  }
  for (const c of CLIENTS.filter(admitted)) {
    const r = result.get(c)!;
    if (r.code !== 0 || parseWhoami(r.body).hostname !== TARGET) {
      const d = ids.get(pod(TARGET).ip),
        s = ids.get(pod(c).ip);
      const swapped = rules.some((x) => x.key.src_identity === d && x.key.dst_identity === s);
      const why = swapped
        ? `there is a rule ${d} → ${s}, which is deathstar → ${c}: the source comes first (idpolicy allow SRC DST PORT/tcp)`
        : `allow ${c}'s identity (${s ?? 'none'}) to deathstar's (${d ?? 'none'}) on 80/tcp`;
      return fail(`${c} (org=empire) cannot land on the deathstar (${curlMeaning(r.code)}): ${why}`, { expected, actual });
    }
  }
  const refused = CLIENTS.filter((c) => !admitted(c) && result.get(c)!.code !== 28);
  if (refused.length)
    return fail(
      `${refused.join(', ')} ended with ${curlMeaning(result.get(refused[0]!)!.code)}; a policy drop makes the request time out instead (curl exit 28): is something else in the way?`,
      { expected, actual },
    );
  if (ping !== null)
    return fail(
      'tiefighter can ping the deathstar, but rule1 allows TCP port 80 only: revoke any rule that is not 80/tcp (bpftool map dump pinned /sys/fs/bpf/idpolicy/idp_policy)',
      { expected, actual },
    );
  const denied = CLIENTS.filter((c) => !admitted(c)).length;
  const grew = after ? after.denied - before.denied : 0;
  if (grew < denied) {
    return fail(`${denied} pods timed out, but idpolicy's denied counter grew by only ${grew}: something other than the policy dropped them`, {
      expected: `idp_verdicts.denied grows by ≥ ${denied}`,
      actual: `denied ${before.denied} → ${after?.denied ?? 'unreadable'}; ${actual}`,
    });
  }
  const hits = (r: typeof rules) => r.filter((x) => x.key.src_identity === ids.get(pod('tiefighter').ip)).reduce((s, x) => s + x.value.packets, 0);
  if (hits(rules) <= hits(rulesBefore))
    return fail('tiefighter got an answer, but no rule of its identity counted a packet: idpolicy did not let it in (is deathstar still managed?)', {
      expected,
      actual,
    });
  return pass(
    `rule1 holds: tiefighter lands on 80/tcp (its rule counted ${hits(rules) - hits(rulesBefore)} packets) and its ping is dropped; ${CLIENTS.filter((c) => !admitted(c)).join(', ')} are dropped by idpolicy on ${POLICY_NODE} (denied +${grew})`,
    { expected, actual },
  );
}
