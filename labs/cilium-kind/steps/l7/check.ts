import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { curlFrom, DEATHSTAR, dropped, pods, policiesFor, shown, withCluster } from '../../checks/cluster.ts';
import { explain, judgePolicies, L7, type PolicyDoc } from '../../checks/policy.ts';

/**
 * Traffic first: Envoy lets the tiefighter's POST /v1/request-landing through, answers its PUT
 * /v1/exhaust-port and GET /v1/request-landing with 403, and the xwing stays dropped. Then the
 * policies are evaluated against every identity and HTTP call the step cares about, so a path
 * regex that also matches other paths, or a leftover L4 rule, fails with the request it admits.
 */
export default async function check(ctx: CheckContext) {
  return withCluster(ctx, async (c) => {
    const ships = await pods(c, 'default', 'class in (tiefighter,xwing)');
    const tie = ships.find((p) => p.labels.class === 'tiefighter' && p.ready);
    const xwing = ships.find((p) => p.labels.class === 'xwing' && p.ready);
    if (!tie || !xwing)
      return fail('do step 4 first: the Star Wars demo is not running', {
        expected: 'tiefighter and xwing ready',
        actual: `tiefighter ${tie ? 'ready' : 'missing'}, xwing ${xwing ? 'ready' : 'missing'}`,
      });
    const land = await curlFrom(ctx, tie, 'POST', `${DEATHSTAR}/v1/request-landing`);
    const exhaust = await curlFrom(ctx, tie, 'PUT', `${DEATHSTAR}/v1/exhaust-port`);
    const getLand = await curlFrom(ctx, tie, 'GET', `${DEATHSTAR}/v1/request-landing`);
    const x = await curlFrom(ctx, xwing, 'POST', `${DEATHSTAR}/v1/request-landing`);
    for (const [who, r] of [
      ['tiefighter', land],
      ['tiefighter', exhaust],
      ['tiefighter', getLand],
      ['xwing', x],
    ] as const) {
      if (r.curlExit !== 0 && r.curlExit !== 28) return checkError(`curl in ${who} failed with exit ${r.curlExit}`);
    }
    const actual = `POST landing: ${shown(land)}; PUT exhaust-port: ${shown(exhaust)}; GET landing: ${shown(getLand)}; xwing: ${shown(x)}`;
    if (land.code !== '200' || !/Ship landed/.test(land.body))
      return fail('the tiefighter can no longer land: the HTTP rule must allow POST /v1/request-landing', {
        expected: 'POST landing → 200 Ship landed',
        actual,
      });
    if (exhaust.code !== '403' || getLand.code !== '403')
      return fail(
        'calls other than POST /v1/request-landing are not refused with 403: add rules.http (method POST, path /v1/request-landing) to the port 80 rule, and no other rule for port 80',
        { expected: 'PUT exhaust-port → 403, GET landing → 403', actual },
      );
    if (!dropped(x)) return fail('the xwing reaches the deathstar again: keep the org=empire identity rule', { expected: 'xwing dropped', actual });

    const policies = (await policiesFor(c, 'default')) as PolicyDoc[];
    const j = judgePolicies(policies, L7);
    const names = j.selecting.join(', ') || 'none';
    if (!j.ok)
      return fail(`the calls the check made look right, but your policy lets through more than POST /v1/request-landing: ${explain(j)}`, {
        expected: 'exactly POST /v1/request-landing from org=empire on port 80',
        actual: `policies on the deathstar: ${names}; ${actual}`,
      });
    return pass(
      `${names}: Envoy lets the tiefighter land and refuses other calls with 403, the xwing stays dropped; ${L7.length} requests evaluated against the policy`,
      { actual },
    );
  });
}
