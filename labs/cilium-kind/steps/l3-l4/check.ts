import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/lab-spec';
import { ciliumNetworkPolicies, curlFrom, DEATHSTAR, isReady, pods, withCluster, workload } from '../../checks/cluster.ts';
import { allowsEmpireOn80, deathstarPolicies, type Cnp } from '../../checks/policy.ts';

/**
 * Passes when a CiliumNetworkPolicy selects the deathstar and lets org=empire in on TCP 80, and
 * the traffic agrees: the tiefighter lands, the xwing's request is dropped (curl times out).
 */
export default async function check(ctx: CheckContext) {
  return withCluster(ctx, async (c) => {
    const ds = await workload(c, 'Deployment', 'default', 'deathstar');
    const ships = await pods(c, 'default', 'class in (tiefighter,xwing)');
    const tie = ships.find((p) => p.labels.class === 'tiefighter' && p.ready);
    const xwing = ships.find((p) => p.labels.class === 'xwing' && p.ready);
    if (!isReady(ds) || !tie || !xwing) {
      return fail('the Star Wars demo is not running yet: kubectl apply -f manifests/starwars.yaml', {
        expected: 'deathstar 2/2, tiefighter and xwing ready', actual: `deathstar ${ds.exists ? `${ds.ready}/${ds.desired}` : 'not found'}, tiefighter ${tie ? 'ready' : 'missing'}, xwing ${xwing ? 'ready' : 'missing'}`,
      });
    }
    const policies = deathstarPolicies((await ciliumNetworkPolicies(c, 'default')) as Cnp[]);
    if (policies.length === 0) return fail('no CiliumNetworkPolicy selects the deathstar (org=empire, class=deathstar) yet', { expected: 'a policy with endpointSelector class=deathstar', actual: 'none' });
    const names = policies.map((p) => p.metadata?.name).join(', ');
    if (!policies.some(allowsEmpireOn80)) return fail(`policy ${names} selects the deathstar but does not allow org=empire on TCP port 80`, { expected: 'ingress fromEndpoints org=empire, toPorts 80/TCP', actual: names });

    const landing = `${DEATHSTAR}/v1/request-landing`;
    const t = await curlFrom(ctx, tie, 'POST', landing);
    if (t.curlExit !== 0 && t.curlExit !== 28) return checkError(`curl in tiefighter failed with exit ${t.curlExit}`);
    const x = await curlFrom(ctx, xwing, 'POST', landing);
    if (x.curlExit !== 0 && x.curlExit !== 28) return checkError(`curl in xwing failed with exit ${x.curlExit}`);
    const actual = `tiefighter: ${t.code === '000' ? 'no answer' : `${t.code} ${t.body}`}; xwing: ${x.code === '000' ? 'no answer (dropped)' : `${x.code} ${x.body}`}`;
    if (t.code !== '200' || !/Ship landed/.test(t.body)) return fail('the tiefighter (org=empire) cannot land: your policy blocks the empire too', { expected: 'tiefighter: 200 Ship landed', actual });
    if (x.curlExit !== 28) return fail('the xwing (org=alliance) can still reach the deathstar: the policy does not restrict it', { expected: 'xwing: dropped (curl times out)', actual });
    return pass(`policy ${names}: the tiefighter lands, the xwing's packets are dropped`, { actual });
  });
}
