import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { curlFrom, curlMeaning, dumpPinned, ipOf, labelSet, liveIp, PIN_DIR, pod, POLICY_NODE, pods, type Pod } from '../../lib/cluster.ts';

const FIRST_POD_IDENTITY = 256;
interface Verdicts {
  allowed: number;
  denied: number;
}

/**
 * Passes when the pinned idp_ipcache on the deathstar's node maps every pod's live IP (read from
 * its eth0 now, not from a file) to an identity (≥ 256: below are reserved), holds no entry for
 * an address no pod has, and two pods share an identity exactly when their labels match; AND
 * the attached program uses it: the check sends a request from xwing to deathstar and idpolicy's
 * verdict counters must move (it only counts packets to pods that have an identity).
 */
export default async function check(ctx: CheckContext) {
  const entries = await dumpPinned<{ addr: number[] }, number>(ctx, 'idp_ipcache');
  if (!entries)
    return fail(`${PIN_DIR}/idp_ipcache is not pinned on ${POLICY_NODE} yet: attach idpolicy there first (previous step)`, {
      expected: 'a pinned idp_ipcache',
      actual: `no ${PIN_DIR}/idp_ipcache`,
    });
  const live = new Map<string, Pod>();
  for (const p of pods) {
    let ip: string | null;
    try {
      ip = await liveIp(ctx, p.name);
    } catch (e) {
      return checkError(`reading ${p.name}'s address: ${(e as Error).message}`);
    }
    if (!ip) return checkError(`pod ${p.name} has no IPv4 address on eth0: the lab network is broken (restart the lab)`);
    live.set(ip, p);
  }
  const ipOfPod = new Map([...live].map(([ip, p]) => [p.name, ip]));
  const byIp = new Map(entries.map((e) => [ipOf(e.key), e.value]));
  const actual = pods.map((p) => `${p.name} ${ipOfPod.get(p.name)} → ${byIp.get(ipOfPod.get(p.name)!) ?? 'none'}`).join(', ');
  const expected = 'every pod IP → one identity per label set (≥ 256), nothing else';
  const missing = pods.filter((p) => !byIp.has(ipOfPod.get(p.name)!));
  const stray = [...byIp.keys()].filter((ip) => !live.has(ip));
  if (missing.length) {
    const hint = stray.length ? ` There is an entry for ${stray.join(', ')}, which no pod has: a typo? Compare with pods.txt` : '';
    return fail(
      `idp_ipcache has no identity yet for ${missing.map((p) => `${p.name} (${ipOfPod.get(p.name)})`).join(', ')}: ./bpf/.output/idpolicy identity IP ID in ${POLICY_NODE}'s terminal.${hint}`,
      { expected, actual: stray.length ? `${actual}; stray: ${stray.join(', ')}` : actual },
    );
  }
  if (stray.length) {
    return fail(
      `idp_ipcache has entries for ${stray.join(', ')}, which no pod carries: remove them (bpftool map delete pinned ${PIN_DIR}/idp_ipcache key A B C D)`,
      { expected, actual: `${actual}; stray: ${stray.join(', ')}` },
    );
  }
  const id = (p: Pod) => byIp.get(ipOfPod.get(p.name)!)!;
  const reserved = pods.filter((p) => id(p) < FIRST_POD_IDENTITY);
  if (reserved.length) {
    return fail(
      `identities below ${FIRST_POD_IDENTITY} are reserved (2 is "world", any unknown source); give ${reserved.map((p) => p.name).join(', ')} a number from ${FIRST_POD_IDENTITY} up`,
      { expected, actual },
    );
  }
  for (const a of pods) {
    for (const b of pods) {
      if (a.name >= b.name) continue;
      const sameLabels = labelSet(a) === labelSet(b);
      const sameId = id(a) === id(b);
      if (sameLabels && !sameId) {
        return fail(
          `${a.name} and ${b.name} have the same labels (${labelSet(a)}) but different identities: an identity stands for a label set, not for one pod; give both the same number`,
          { expected, actual },
        );
      }
      if (!sameLabels && sameId) {
        return fail(
          `${a.name} (${labelSet(a)}) and ${b.name} (${labelSet(b)}) share identity ${id(a)}, so no policy could tell them apart: give each label set its own number`,
          { expected, actual },
        );
      }
    }
  }
  // The map is right; is it the one the attached program reads? to_container counts a verdict
  // only for packets to a pod with an identity, so a request from xwing must move the counters
  // (allowed or denied: which one is the next step's business).
  const counter = async () => {
    const v = (await dumpPinned<number, Verdicts>(ctx, 'idp_verdicts'))?.[0]?.value;
    return v ? v.allowed + v.denied : null;
  };
  const before = await counter();
  const xwing = await curlFrom(ctx, 'xwing', 'deathstar', 1);
  const after = await counter();
  const probe = `xwing → deathstar: ${curlMeaning(xwing.code)}; verdicts ${before ?? '?'} → ${after ?? '?'}`;
  if (before === null || after === null || after <= before) {
    return fail(
      `the identities are right, but idpolicy on ${POLICY_NODE} did not judge the check's request to deathstar (${probe}): is to_container still attached to lxc-deathstar, using the maps in ${PIN_DIR}? (previous step)`,
      { expected: `${expected}; a request to deathstar is judged by idpolicy`, actual: `${actual}; ${probe}` },
    );
  }
  const sets = new Set(pods.map(id)).size;
  return pass(
    `idp_ipcache maps all ${pods.length} live pod IPs to ${sets} identities, one per label set, and idpolicy uses it: deathstar (${pod('deathstar').ip}) is under policy now`,
    { expected, actual: `${actual}; ${probe}` },
  );
}
