import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { curlFrom, curlMeaning, liveIp, nodeIps, parseWhoami, pingTtl, pod, serverSaw } from '../../lib/cluster.ts';

const CLIENT = 'netpod';
const TARGETS = ['webpod1', 'webpod2'] as const;
/** netpod → its node → the target's node → target: a reply comes back through two routers. */
const CROSS_NODE_TTL = 62;

function sourceProblem(target: string, seenIp: string): string {
  const node = nodeIps.get(seenIp);
  if (node)
    return `${target} saw the request come from ${seenIp}, node ${node}'s address: either the curl ran on the node instead of in netpod, or a MASQUERADE/SNAT rule on the way rewrote netpod's address (iptables -t nat -S on each node). Run the curl in netpod's terminal, with no NAT on the way`;
  return `${target} saw the request come from ${seenIp}, which is not netpod (${pod(CLIENT).ip}): run the curl in netpod's terminal`;
}

/**
 * Passes when webpod1.txt and webpod2.txt hold whoami answers to a curl from netpod (RemoteAddr
 * is netpod's own pod IP) that the webpods really served (their logs show that exact client
 * address and port), AND the check's own traffic proves it now: from netpod, each webpod answers
 * and sees netpod's pod IP (no NAT), and a ping's reply TTL shows two routers (another node).
 */
export default async function check(ctx: CheckContext) {
  const client = pod(CLIENT);
  const seen: string[] = [];
  for (const target of TARGETS) {
    const file = `${target}.txt`;
    const text = await ctx.readFile(file);
    const how = `from netpod's terminal: curl -s http://${pod(target).ip}/ | tee ${file}`;
    if (text === null)
      return fail(`${file} does not exist yet: save what ${target} answers, ${how}`, { expected: `${file} with a whoami answer`, actual: 'no such file' });
    const w = parseWhoami(text);
    if (w.hostname !== target || !w.remoteIp || w.remotePort === undefined) {
      return fail(`${file} is not an answer from ${target} (no "Hostname: ${target}" and RemoteAddr lines); save it again ${how}`, {
        expected: `Hostname: ${target} … RemoteAddr: ${client.ip}:<port>`,
        actual: text.trim().split('\n').slice(0, 2).join(' | ') || 'empty file',
      });
    }
    if (w.remoteIp !== client.ip)
      return fail(`${file}: ${sourceProblem(target, w.remoteIp)}`, {
        expected: `RemoteAddr: ${client.ip}:<port>`,
        actual: `RemoteAddr: ${w.remoteIp}:${w.remotePort}`,
      });
    // Entry by entry against the server's own record: a typed-in answer names a connection that never was.
    if (!(await serverSaw(ctx, target, w.remoteIp, w.remotePort))) {
      return fail(
        `${file} says ${target} answered ${w.remoteIp}:${w.remotePort}, but ${target} never served a request from that address and port (logs/${target}.log): save a real answer, ${how}`,
        { expected: `a request from ${w.remoteIp}:${w.remotePort} in logs/${target}.log`, actual: 'no such request' },
      );
    }
    seen.push(`${file}: ${target} served ${w.remoteIp}:${w.remotePort}`);
  }
  // Now the check's own probes, from netpod: an answer, the real source address, and the hops.
  for (const target of TARGETS) {
    let ip: string | null, ttl: number | null;
    try {
      [ip, ttl] = [await liveIp(ctx, target), await pingTtl(ctx, CLIENT, pod(target).ip)];
    } catch (e) {
      return checkError(`probing ${target}: ${(e as Error).message}`);
    }
    const r = await curlFrom(ctx, CLIENT, target);
    const w = parseWhoami(r.body);
    const actual = `${seen.join('; ')}; probe ${CLIENT} → ${target}: ${curlMeaning(r.code)}${w.remoteIp ? `, RemoteAddr ${w.remoteIp}` : ''}, ping TTL ${ttl ?? 'no reply'}`;
    if (ip !== pod(target).ip)
      return checkError(`${target}'s eth0 has ${ip ?? 'no address'}, not ${pod(target).ip} as in pods.txt: the lab network is broken (restart the lab)`);
    if (r.code !== 0 || w.hostname !== target) {
      return fail(
        `your files are right, but netpod cannot reach ${target} now: ${curlMeaning(r.code)}. Did something change the nodes' routes? (ip route on k8s-s)`,
        { expected: `${target} answers netpod`, actual },
      );
    }
    if (w.remoteIp !== client.ip)
      return fail(`the files are right, but right now ${sourceProblem(target, w.remoteIp ?? '?')}`, { expected: `RemoteAddr ${client.ip}`, actual });
    if (ttl !== CROSS_NODE_TTL) {
      return fail(
        `a ping from netpod to ${target} came back with TTL ${ttl ?? '(no reply)'}, not ${CROSS_NODE_TTL}: the path is not netpod → k8s-s → ${pod(target).node} → ${target}. Look at the routes on k8s-s (ip route)`,
        { expected: `TTL ${CROSS_NODE_TTL} (two routers)`, actual },
      );
    }
    seen.push(`probe: ${target} saw ${w.remoteIp}, TTL ${ttl}`);
  }
  return pass(`netpod (${client.ip}) reaches webpod1 and webpod2 on the other nodes through two routers, and they see netpod's own pod IP: routed, not NATed`, {
    expected: `RemoteAddr ${client.ip}, TTL ${CROSS_NODE_TTL}`,
    actual: seen.join('; '),
  });
}
