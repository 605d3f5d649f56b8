import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/lab-spec';
import { ciliumNetworkPolicies, curlFrom, DEATHSTAR, pods, withCluster } from '../../checks/cluster.ts';
import { allowsOnlyLanding, deathstarPolicies, type Cnp } from '../../checks/policy.ts';

/**
 * Passes when the deathstar policy has an HTTP rule for POST /v1/request-landing only, and Envoy
 * enforces it: the tiefighter lands, its PUT /v1/exhaust-port gets 403, the xwing stays dropped.
 */
export default async function check(ctx: CheckContext) {
  return withCluster(ctx, async (c) => {
    const ships = await pods(c, 'default', 'class in (tiefighter,xwing)');
    const tie = ships.find((p) => p.labels.class === 'tiefighter' && p.ready);
    const xwing = ships.find((p) => p.labels.class === 'xwing' && p.ready);
    if (!tie || !xwing) return fail('do step 4 first: the Star Wars demo is not running', { expected: 'tiefighter and xwing ready', actual: `tiefighter ${tie ? 'ready' : 'missing'}, xwing ${xwing ? 'ready' : 'missing'}` });
    const policies = deathstarPolicies((await ciliumNetworkPolicies(c, 'default')) as Cnp[]);
    if (!policies.some(allowsOnlyLanding)) {
      return fail('no deathstar policy has an L7 rule yet: add rules.http with method POST, path /v1/request-landing to the port 80 rule', {
        expected: 'toPorts[].rules.http: [{method: POST, path: /v1/request-landing}]', actual: policies.map((p) => p.metadata?.name).join(', ') || 'no policy selects the deathstar',
      });
    }
    const land = await curlFrom(ctx, tie, 'POST', `${DEATHSTAR}/v1/request-landing`);
    const exhaust = await curlFrom(ctx, tie, 'PUT', `${DEATHSTAR}/v1/exhaust-port`);
    const x = await curlFrom(ctx, xwing, 'POST', `${DEATHSTAR}/v1/request-landing`);
    for (const [who, r] of [['tiefighter', land], ['tiefighter', exhaust], ['xwing', x]] as const) {
      if (r.curlExit !== 0 && r.curlExit !== 28) return checkError(`curl in ${who} failed with exit ${r.curlExit}`);
    }
    const actual = `POST landing: ${land.code} ${land.body}; PUT exhaust-port: ${exhaust.code} ${exhaust.body.split('\n')[0]}; xwing: ${x.code === '000' ? 'dropped' : x.code}`;
    if (land.code !== '200' || !/Ship landed/.test(land.body)) return fail('the tiefighter can no longer land: the HTTP rule must allow POST /v1/request-landing', { expected: 'POST landing → 200 Ship landed', actual });
    if (exhaust.code !== '403') return fail('PUT /v1/exhaust-port is not refused with 403: the L7 rule is not enforced on port 80', { expected: 'PUT exhaust-port → 403 Access denied', actual });
    if (x.curlExit !== 28) return fail('the xwing reaches the deathstar again: keep the org=empire identity rule', { expected: 'xwing dropped', actual });
    return pass('Envoy lets the tiefighter land and refuses PUT /v1/exhaust-port with 403; the xwing stays dropped at L3/L4', { actual });
  });
}
