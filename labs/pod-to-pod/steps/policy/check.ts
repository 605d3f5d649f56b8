import { fail, pass, type CheckContext } from '@ebpf-lab/lab-spec';
import { curlFrom, curlMeaning, dumpPinned, ipOf, parseWhoami, PIN_DIR, pod, POLICY_DEV, POLICY_NODE, policyTc } from '../../lib/cluster.ts';

interface Verdicts { allowed: number; denied: number }
interface Rule { src_identity: number; dst_identity: number; dport: number; proto: number }

async function denied(ctx: CheckContext): Promise<number | null> {
  const v = await dumpPinned<number, Verdicts>(ctx, 'idp_verdicts');
  return v?.[0]?.value.denied ?? null;
}

/** Why the xwing still lands, in the learner's terms. */
async function whyXwingLands(ctx: CheckContext, rules: Rule[]): Promise<string> {
  if (!(await policyTc(ctx)).egress) return `to_container is not attached at tc egress of ${POLICY_DEV} on ${POLICY_NODE}, so nothing filters deathstar's traffic (step 2)`;
  const ids = new Map(((await dumpPinned<{ addr: number[] }, number>(ctx, 'idp_ipcache')) ?? []).map((e) => [ipOf(e.key), e.value]));
  const [x, t, d] = ['xwing', 'tiefighter', 'deathstar'].map((n) => ids.get(pod(n).ip));
  if (d === undefined) return 'deathstar has no identity in idp_ipcache, so it is not under policy (step 3)';
  if (x !== undefined && x === t) return `xwing has the same identity as tiefighter (${x}): give each label set its own identity (step 3)`;
  const rule = rules.find((r) => r.src_identity === (x ?? 2) && r.dst_identity === d);
  if (rule) return `a rule lets identity ${rule.src_identity} (${x === undefined ? 'world: xwing has no identity' : 'xwing'}) reach ${d}:${rule.dport}; only org=empire identities may — revoke it`;
  return 'only identities of org=empire may reach it; look for the rule or identity that lets the xwing through';
}

/**
 * Passes when tiefighter gets an answer from deathstar while xwing's request times out (curl
 * exit 28, dropped rather than refused), and idpolicy's own deny counter shows it did the drop.
 */
export default async function check(ctx: CheckContext) {
  const before = await denied(ctx);
  if (before === null) return fail(`idpolicy is not set up on ${POLICY_NODE} (no ${PIN_DIR}/idp_verdicts): do the previous steps first`, { actual: `no ${PIN_DIR}/idp_verdicts` });
  const [tie, xwing] = await Promise.all([curlFrom(ctx, 'tiefighter', 'deathstar'), curlFrom(ctx, 'xwing', 'deathstar')]);
  const after = await denied(ctx);
  const rules = ((await dumpPinned<Rule, { packets: number }>(ctx, 'idp_policy')) ?? []);
  const ruleText = rules.map((r) => `${r.key.src_identity}→${r.key.dst_identity}:${r.key.dport}/${r.key.proto} (${r.value.packets} pkts)`).join(', ') || 'no rules';
  const actual = `tiefighter: ${curlMeaning(tie.code)}; xwing: ${curlMeaning(xwing.code)}; rules: ${ruleText}`;
  const expected = 'tiefighter answered; xwing timed out (exit 28)';
  if (xwing.code === 0) return fail(`the xwing still reaches the deathstar: ${await whyXwingLands(ctx, rules.map((r) => r.key))}`, { expected, actual });
  if (tie.code !== 0 || parseWhoami(tie.body).hostname !== 'deathstar') {
    return fail(`tiefighter cannot land on the deathstar (${curlMeaning(tie.code)}): allow tiefighter's identity to deathstar's identity on port 80/tcp`, { expected, actual });
  }
  if (xwing.code !== 28) return fail(`the xwing's request ended with ${curlMeaning(xwing.code)}; a policy drop makes it time out instead (curl exit 28)`, { expected, actual });
  if (after === null || after <= before) {
    return fail('the xwing timed out, but idpolicy\'s denied counter did not move: something other than the policy dropped it', { expected: 'idp_verdicts.denied grows', actual: `denied ${before} → ${after ?? 'unreadable'}; ${actual}` });
  }
  return pass(`tiefighter lands; xwing is dropped by idpolicy on ${POLICY_NODE} (denied ${before} → ${after})`, { actual });
}
