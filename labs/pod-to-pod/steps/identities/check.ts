import { fail, pass, type CheckContext } from '@ebpf-lab/lab-spec';
import { dumpPinned, ipOf, labelSet, PIN_DIR, POLICY_NODE, pods } from '../../lib/cluster.ts';

const FIRST_POD_IDENTITY = 256;

/**
 * Passes when the pinned idp_ipcache on the deathstar's node maps every pod IP to an identity
 * (≥ 256: below are reserved), and two pods share an identity exactly when their labels match.
 */
export default async function check(ctx: CheckContext) {
  const entries = await dumpPinned<{ addr: number[] }, number>(ctx, 'idp_ipcache');
  if (!entries) return fail(`${PIN_DIR}/idp_ipcache is not pinned on ${POLICY_NODE} yet: attach idpolicy there first (previous step)`, { expected: 'a pinned idp_ipcache', actual: `no ${PIN_DIR}/idp_ipcache` });
  const byIp = new Map(entries.map((e) => [ipOf(e.key), e.value]));
  const actual = pods.map((p) => `${p.name} ${p.ip} → ${byIp.get(p.ip) ?? 'none'}`).join(', ');
  const missing = pods.filter((p) => !byIp.has(p.ip));
  if (missing.length) {
    return fail(`idp_ipcache has no identity yet for ${missing.map((p) => `${p.name} (${p.ip})`).join(', ')}`, { expected: 'an identity for every pod IP in pods.txt', actual });
  }
  const reserved = pods.filter((p) => byIp.get(p.ip)! < FIRST_POD_IDENTITY);
  if (reserved.length) {
    return fail(`identities below ${FIRST_POD_IDENTITY} are reserved (2 is "world", any unknown source); give ${reserved.map((p) => p.name).join(', ')} a number from ${FIRST_POD_IDENTITY} up`, { actual });
  }
  for (const a of pods) {
    for (const b of pods) {
      if (a.name >= b.name) continue;
      const sameLabels = labelSet(a) === labelSet(b);
      const sameId = byIp.get(a.ip) === byIp.get(b.ip);
      if (sameLabels && !sameId) {
        return fail(`${a.name} and ${b.name} have the same labels (${labelSet(a)}) but different identities: an identity stands for a label set, not for one pod`, { actual });
      }
      if (!sameLabels && sameId) {
        return fail(`${a.name} (${labelSet(a)}) and ${b.name} (${labelSet(b)}) share identity ${byIp.get(a.ip)}, so no policy could tell them apart: give each label set its own number`, { actual });
      }
    }
  }
  const sets = new Set(pods.map((p) => byIp.get(p.ip))).size;
  return pass(`idp_ipcache maps all ${pods.length} pod IPs to ${sets} identities, one per label set`, { actual });
}
