import { fail, pass, type CheckContext } from '@ebpf-lab/lab-spec';
import { curlFrom, curlMeaning, nodeIps, parseWhoami, pod } from '../../lib/cluster.ts';

const CLIENT = 'netpod';
const TARGETS = ['webpod1', 'webpod2'] as const;

/**
 * Passes when webpod1.txt and webpod2.txt hold whoami answers to a curl from netpod (RemoteAddr
 * is netpod's own pod IP: routed across nodes without NAT), and netpod still reaches both now.
 */
export default async function check(ctx: CheckContext) {
  const client = pod(CLIENT);
  const seen: string[] = [];
  for (const target of TARGETS) {
    const file = `${target}.txt`;
    const text = await ctx.readFile(file);
    const how = `from netpod's terminal: curl -s http://${pod(target).ip}/ | tee ${file}`;
    if (text === null) return fail(`${file} does not exist yet: save what ${target} answers, ${how}`, { expected: `${file} with a whoami answer`, actual: 'no such file' });
    const w = parseWhoami(text);
    if (w.hostname !== target || !w.remoteIp) {
      return fail(`${file} is not an answer from ${target} (no "Hostname: ${target}" and RemoteAddr lines); save it again ${how}`, { actual: text.trim().split('\n').slice(0, 2).join(' | ') || 'empty file' });
    }
    if (w.remoteIp !== client.ip) {
      const fromNode = nodeIps.get(w.remoteIp);
      const why = fromNode ? `that is node ${fromNode}'s address, so the curl ran on the node, not in netpod` : 'that is not netpod';
      return fail(`${file}: ${target} saw the request come from ${w.remoteIp}; ${why}. Run the curl in netpod's terminal`, { expected: `RemoteAddr: ${client.ip}:<port>`, actual: `RemoteAddr: ${w.remoteIp}:${w.remotePort}` });
    }
    seen.push(`${target} saw ${w.remoteIp}:${w.remotePort}`);
  }
  for (const target of TARGETS) {
    const r = await curlFrom(ctx, CLIENT, target);
    const w = parseWhoami(r.body);
    if (r.code !== 0 || w.hostname !== target) {
      return fail(`your files are right, but netpod cannot reach ${target} now: ${curlMeaning(r.code)}. Did something change the nodes' routes?`, { expected: `${target} answers`, actual: curlMeaning(r.code) });
    }
  }
  return pass(`netpod (${client.ip}) reaches webpod1 and webpod2 on the other nodes, and they see netpod's own pod IP: routed, not NATed`, { actual: seen.join('; ') });
}
