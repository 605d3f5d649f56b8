import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { isReady, nodes, podTarget, readyPod, withCluster, workload } from '../../checks/cluster.ts';

interface AgentStatus {
  'kube-proxy-replacement'?: { mode?: string };
  routing?: { 'inter-host-routing-mode'?: string };
  masquerading?: { enabled?: boolean; mode?: string };
}

/**
 * Passes when kube-proxy is really gone: no kube-proxy DaemonSet, the agent reports
 * KubeProxyReplacement True (its own JSON status), and no node has a KUBE-SVC iptables chain.
 */
export default async function check(ctx: CheckContext) {
  return withCluster(ctx, async (c) => {
    const ds = await workload(c, 'DaemonSet', 'kube-system', 'cilium');
    if (!isReady(ds))
      return fail('install Cilium first (step 1): the cilium DaemonSet is not ready', {
        expected: 'cilium DaemonSet ready',
        actual: ds.exists ? `${ds.ready}/${ds.desired} ready` : 'not found',
      });
    if ((await workload(c, 'DaemonSet', 'kube-system', 'kube-proxy')).exists) {
      return fail('a kube-proxy DaemonSet exists: this cluster was meant to run without it (kind.yaml kubeProxyMode: none)', {
        expected: 'no kube-proxy',
        actual: 'DaemonSet kube-system/kube-proxy',
      });
    }
    const agent = await readyPod(c, 'kube-system', 'k8s-app=cilium');
    if (!agent) return checkError('no ready cilium agent pod to ask, although the DaemonSet reports ready');
    const r = await ctx.exec('cilium-dbg status -o json', { node: podTarget(agent, 'cilium-agent'), timeoutMs: 30_000 });
    if (r.code !== 0) return checkError(`cilium-dbg status in ${agent.name} exited ${r.code}: ${r.stderr.trim().slice(-200)}`);
    let st: AgentStatus;
    try {
      st = JSON.parse(r.stdout) as AgentStatus;
    } catch {
      return checkError(`cilium-dbg status -o json in ${agent.name} did not print JSON`);
    }
    const kpr = st['kube-proxy-replacement']?.mode ?? 'not reported';
    const routing = st.routing?.['inter-host-routing-mode'];
    const masq = st.masquerading;
    const agentSays = `KubeProxyReplacement ${kpr}, routing ${routing ?? '?'}, masquerading ${masq?.mode ?? '?'}`;
    if (kpr !== 'True' && kpr !== 'Strict')
      return fail(`the agent reports KubeProxyReplacement ${kpr}: set kubeProxyReplacement: true in your values and upgrade`, {
        expected: 'KubeProxyReplacement True',
        actual: agentSays,
      });
    if (routing && routing !== 'Native')
      return fail(`the agent routes between nodes in ${routing} mode: set routingMode: native (with autoDirectNodeRoutes and ipv4NativeRoutingCIDR)`, {
        expected: 'routing Native',
        actual: agentSays,
      });
    if (masq?.enabled && masq.mode && masq.mode !== 'BPF')
      return fail(`masquerading runs in ${masq.mode}: set bpf.masquerade: true`, { expected: 'masquerading BPF', actual: agentSays });

    const found: string[] = [];
    const ns = await nodes(c);
    for (const n of ns) {
      const save = await ctx.exec('iptables-save', { node: n.name, timeoutMs: 20_000 });
      if (save.code !== 0) return checkError(`iptables-save on node ${n.name} exited ${save.code}: ${save.stderr.trim().slice(-200)}`);
      const svc = save.stdout.split('\n').filter((l) => /KUBE-SVC-/.test(l)).length;
      if (svc) found.push(`${n.name}: ${svc} KUBE-SVC lines`);
    }
    if (found.length)
      return fail("Services are still programmed in iptables (KUBE-SVC chains): something is doing kube-proxy's job in iptables", {
        expected: 'no KUBE-SVC chains',
        actual: found.join('; '),
      });
    return pass(`${agent.name}: ${agentSays}; no KUBE-SVC chain on any of the ${ns.length} nodes`, { actual: agentSays });
  });
}
