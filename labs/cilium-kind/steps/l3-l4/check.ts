import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { curlFrom, DEATHSTAR, dropped, isReady, pods, policiesFor, shown, withCluster, workload } from '../../checks/cluster.ts';
import { explain, judgePolicies, L3L4, type PolicyDoc } from '../../checks/policy.ts';

/**
 * Traffic first: the tiefighter (org=empire) lands, the xwing (org=alliance) and netpod (no org)
 * are dropped. Then every policy on the deathstar (CNP, cluster-wide CNP, NetworkPolicy, in any
 * valid form) is evaluated against the requests this step cares about, from every identity, so a
 * policy that also lets in what the three pods cannot show (other ports, other namespaces, the
 * world) fails with the request it wrongly admits.
 */
export default async function check(ctx: CheckContext) {
  return withCluster(ctx, async (c) => {
    const ds = await workload(c, 'Deployment', 'default', 'deathstar');
    const all = await pods(c, 'default');
    const ready = (pred: (l: Record<string, string>) => boolean) => all.find((p) => p.ready && pred(p.labels));
    const tie = ready((l) => l.class === 'tiefighter');
    const xwing = ready((l) => l.class === 'xwing');
    const netpod = ready((l) => l.app === 'netpod');
    if (!isReady(ds) || !tie || !xwing) {
      return fail('the Star Wars demo is not running yet: kubectl apply -f manifests/starwars.yaml', {
        expected: 'deathstar 2/2, tiefighter and xwing ready',
        actual: `deathstar ${ds.exists ? `${ds.ready}/${ds.desired}` : 'not found'}, tiefighter ${tie ? 'ready' : 'missing'}, xwing ${xwing ? 'ready' : 'missing'}`,
      });
    }
    const landing = `${DEATHSTAR}/v1/request-landing`;
    const probes = [['tiefighter', tie], ['xwing', xwing], ...(netpod ? [['netpod', netpod] as const] : [])] as const;
    const seen = new Map<string, Awaited<ReturnType<typeof curlFrom>>>();
    for (const [who, p] of probes) {
      const r = await curlFrom(ctx, p, 'POST', landing);
      if (r.curlExit !== 0 && r.curlExit !== 28) return checkError(`curl in ${who} failed with exit ${r.curlExit}`);
      seen.set(who, r);
    }
    const actual = [...seen].map(([who, r]) => `${who}: ${shown(r)}`).join('; ');
    const t = seen.get('tiefighter')!;
    if (t.code !== '200' || !/Ship landed/.test(t.body))
      return fail('the tiefighter (org=empire) cannot land: your policy blocks the empire too. Allow fromEndpoints org=empire on TCP 80', {
        expected: 'tiefighter: 200 Ship landed',
        actual,
      });
    const through = [...seen].filter(([who, r]) => who !== 'tiefighter' && !dropped(r)).map(([who]) => who);
    if (through.length)
      return fail(
        `${through.join(' and ')} can still reach the deathstar: only org=empire may. Select the deathstar in endpointSelector and allow only org=empire`,
        { expected: 'xwing and netpod: dropped (curl times out)', actual },
      );

    const policies = (await policiesFor(c, 'default')) as PolicyDoc[];
    const j = judgePolicies(policies, L3L4);
    const names = j.selecting.join(', ') || 'none';
    if (!j.ok)
      return fail(`the traffic looks right, but your policy is wrong for a request the check cannot send: ${explain(j)}`, {
        expected: 'org=empire on TCP 80 only; every other identity and port denied',
        actual: `policies on the deathstar: ${names}; ${actual}`,
      });
    return pass(
      `${names}: the tiefighter lands, the xwing${netpod ? ' and netpod are' : ' is'} dropped, and the policy admits org=empire on port 80 only (${L3L4.length} requests evaluated)`,
      { actual },
    );
  });
}
