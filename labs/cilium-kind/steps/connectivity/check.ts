import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { isReady, podTarget, pods, withCluster, workload } from '../../checks/cluster.ts';

const TRIES = 16;

/**
 * Passes when netpod reaches every webpod by pod IP (native routing between nodes) and the
 * webpod Service spreads its requests over both replicas (Cilium's eBPF load balancing).
 */
export default async function check(ctx: CheckContext) {
  return withCluster(ctx, async (c) => {
    const web = await workload(c, 'Deployment', 'default', 'webpod');
    const net = (await pods(c, 'default', 'app=netpod')).find((p) => p.ready);
    if (!isReady(web) || !net) {
      return fail('netpod and webpod are not running yet: kubectl apply -f manifests/netpod-webpod.yaml', {
        expected: 'webpod 2/2 ready, netpod ready',
        actual: `webpod ${web.exists ? `${web.ready}/${web.desired}` : 'not found'}, netpod ${net ? 'ready' : 'not ready or missing'}`,
      });
    }
    const webpods = (await pods(c, 'default', 'app=webpod')).filter((p) => p.ready && p.ip);
    const script = [
      `for i in $(seq ${TRIES}); do curl -s -m 2 http://webpod/ | sed -n 's/^Hostname: /svc /p'; done`,
      ...webpods.map((p) => `echo "pod ${p.ip} $(curl -s -m 2 -o /dev/null -w '%{http_code}' http://${p.ip}/)"`),
    ].join('\n');
    const r = await ctx.exec(script, { node: podTarget(net), timeoutMs: 60_000 });
    if (r.code !== 0) return checkError(`running curl in netpod failed (exit ${r.code}): ${r.stderr.trim().slice(-200)}`);
    const lines = r.stdout.split('\n');
    const served = new Set(lines.filter((l) => l.startsWith('svc ')).map((l) => l.slice(4).trim()));
    const direct = lines.filter((l) => l.startsWith('pod ')).map((l) => l.split(' '));
    const crossNode = webpods.filter((p) => p.node !== net.node).length;
    const actual = `webpod Service answered from: ${[...served].join(', ') || 'nobody'}; by pod IP: ${direct.map(([, ip, code]) => `${ip} → ${code}`).join(', ')}; ${crossNode} webpod(s) on another node than netpod (${net.node})`;
    const unreachable = direct.filter(([, , code]) => code !== '200');
    if (unreachable.length)
      return fail(`netpod cannot reach ${unreachable.map(([, ip]) => ip).join(', ')} by pod IP: pod-to-pod routing between nodes is broken`, {
        expected: 'HTTP 200 from every webpod IP',
        actual,
      });
    if (served.size === 0)
      return fail('netpod cannot reach the webpod Service: Service load balancing is not working', {
        expected: `answers from ${webpods.length} webpods`,
        actual,
      });
    if (served.size < Math.min(2, webpods.length))
      return fail(`all ${TRIES} requests to the webpod Service went to one pod: the Service is not balancing over its endpoints`, {
        expected: 'answers from both webpods',
        actual,
      });
    if (crossNode === 0)
      return fail('netpod and the webpods run on the same node, so nothing crossed between nodes: keep netpod on the control plane as in the manifest', {
        expected: 'webpods on other nodes',
        actual,
      });
    return pass(`netpod reached ${direct.length} webpods across nodes by pod IP, and the Service spread ${TRIES} requests over ${served.size} of them`, {
      actual,
    });
  });
}
