import { fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { describe, isReady, nodes, withCluster, workload } from '../../checks/cluster.ts';

const PARTS = [
  ['DaemonSet', 'cilium', 'the agent on every node'],
  ['Deployment', 'cilium-operator', 'the operator'],
  ['Deployment', 'hubble-relay', 'hubble.relay.enabled'],
  ['Deployment', 'hubble-ui', 'hubble.ui.enabled'],
] as const;

/** Passes when Cilium's agent runs on every node, the operator and Hubble are ready, and the nodes went Ready. */
export default async function check(ctx: CheckContext) {
  return withCluster(ctx, async (c) => {
    const ns = await nodes(c);
    const ws = await Promise.all(PARTS.map(([kind, name]) => workload(c, kind, 'kube-system', name)));
    const ready = ns.filter((n) => n.ready).length;
    const actual = [`nodes ${ready}/${ns.length} Ready`, ...PARTS.map(([, name], i) => `${name} ${describe(ws[i]!)}`)].join(', ');
    const expected = `nodes ${ns.length}/${ns.length} Ready, cilium on all ${ns.length} nodes, cilium-operator, hubble-relay and hubble-ui ready`;
    if (!ws[0]!.exists) {
      return fail('Cilium is not installed yet: there is no DaemonSet kube-system/cilium, so the nodes have no CNI. Run the helm install from the lesson', {
        expected,
        actual,
      });
    }
    const problems = PARTS.filter((_, i) => !isReady(ws[i]!) || (i === 0 && ws[i]!.desired < ns.length)).map(([, name, why]) => `${name} (${why})`);
    if (ready < ns.length) problems.push(`${ns.length - ready} node(s) not Ready`);
    if (problems.length)
      return fail(`Cilium is installed but not ready yet: ${problems.join(', ')}. Wait for the rollout, or check your values if a part is missing`, {
        expected,
        actual,
      });
    return pass(`Cilium runs on all ${ns.length} nodes, the nodes are Ready, and the operator, Hubble Relay and Hubble UI are up`, { actual });
  });
}
