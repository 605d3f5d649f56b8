import { randomInt } from 'node:crypto';
import { fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { curlFrom, curlMeaning, nodeIp, nodeIps, outside, parseWhoami, pod, pods, serverSaw } from '../../lib/cluster.ts';
import { describe, parseConntrack, snatted, type ConntrackEntry } from '../../lib/conntrack.ts';

const CLIENT = 'netpod';
/** Pods on the other nodes: traffic to them must keep netpod's pod IP (the masquerade exception). */
const PEERS = ['webpod1', 'webpod2'] as const;
const CLUSTER_CIDR = '172.16.0.0/16';

const client = pod(CLIENT);
const NODE = client.node;
const NODE_IP = nodeIp(NODE);
const HOW_OUT = `from netpod's terminal: curl -s http://${outside.ip}/ | tee outside.txt`;
const HOW_CT = `right after that curl, in ${NODE}'s terminal: grep ${outside.ip} /proc/net/nf_conntrack | tee conntrack.txt`;

/** Whose address this is, in the model's words. */
function whose(ip: string): string {
  const node = nodeIps.get(ip);
  if (node) return `${ip}, node ${node}'s address`;
  const p = pods.find((x) => x.ip === ip);
  return p ? `${ip}, pod ${p.name}'s own IP` : `${ip}, an address no node or pod of the cluster owns`;
}

async function nodeConntrack(ctx: CheckContext): Promise<ConntrackEntry[]> {
  // Absent until something in the node's netns needs conntrack (a nat rule does): then no entries.
  const r = await ctx.exec('cat /proc/net/nf_conntrack 2>/dev/null', { node: NODE });
  return parseConntrack(r.stdout);
}

/** Why netpod's own probe to the outside got no answer, read from k8s-s's conntrack table. */
function whyNoAnswer(mine: ConntrackEntry | undefined): string {
  const where = `in the nat table's POSTROUTING chain on ${NODE}, the node netpod runs on (iptables -t nat -S POSTROUTING there)`;
  if (!mine)
    return `${NODE} has no conntrack entry for it, so nothing on ${NODE} translated it: ${outside.name} got ${client.ip} as the source and has no route back to pod addresses. Masquerade it ${where}`;
  if (!snatted(mine))
    return `${NODE} tracked the connection (${describe(mine)}) but did not rewrite its source: ${outside.name} saw ${client.ip} and cannot answer it. Masquerade it ${where}`;
  if (mine.reply.dst !== NODE_IP)
    return `${NODE} rewrote netpod's source to ${whose(mine.reply.dst)}, not its own ${NODE_IP}: ${outside.name} answers that address, and the answer never reaches ${NODE}'s conntrack to be translated back (${describe(mine)})`;
  return `${NODE} masqueraded it (${describe(mine)}), yet no answer came back`;
}

/**
 * Passes when, right now, netpod reaches the outside host (203.0.113.10) and that host sees
 * k8s-s's address, with k8s-s's conntrack mapping the connection back to netpod; when traffic
 * from netpod to the pods on the other nodes still arrives with netpod's pod IP (the exception
 * for the cluster CIDR); and when outside.txt and conntrack.txt hold what really happened: an
 * answer the outside host served (its log) and the conntrack entry of that same connection.
 */
export default async function check(ctx: CheckContext) {
  const saved = await ctx.readFile('outside.txt');
  if (saved === null)
    return fail(`outside.txt does not exist yet: masquerade on ${NODE}, then save what the outside host answers, ${HOW_OUT}`, {
      expected: `outside.txt with ${outside.name}'s answer`,
      actual: 'no such file',
    });

  // The check's own probe, from a source port it chose, so it can find its entry in k8s-s's table.
  let port = randomInt(40000, 60000);
  let r = await ctx.exec(`curl -s --max-time 3 --local-port ${port} http://${outside.ip}/`, { node: CLIENT, timeoutMs: 10_000 });
  if (r.code === 45) {
    port = randomInt(40000, 60000);
    r = await ctx.exec(`curl -s --max-time 3 --local-port ${port} http://${outside.ip}/`, { node: CLIENT, timeoutMs: 10_000 });
  }
  const mine = (await nodeConntrack(ctx)).find((e) => e.orig.src === client.ip && e.orig.sport === port && e.orig.dst === outside.ip);
  const w = parseWhoami(r.stdout);
  const probe = `probe ${CLIENT}:${port} → ${outside.ip}: ${curlMeaning(r.code)}${w.remoteIp ? `, ${outside.name} saw ${w.remoteIp}:${w.remotePort}` : ''}; ${NODE} conntrack: ${mine ? describe(mine) : 'no entry'}`;
  if (r.code !== 0 || w.hostname !== outside.name) {
    return fail(`from netpod, the outside host ${outside.ip} ${curlMeaning(r.code)}: ${whyNoAnswer(mine)}`, {
      expected: `${outside.name} answers netpod and sees ${NODE_IP}`,
      actual: probe,
    });
  }
  if (w.remoteIp !== NODE_IP)
    return fail(
      `${outside.name} answered, but saw the request come from ${whose(w.remoteIp ?? '?')}, not from ${NODE} (${NODE_IP}): masquerade on ${NODE} to its own address`,
      { expected: `${outside.name} sees ${NODE_IP}`, actual: probe },
    );
  if (!mine || mine.reply.dst !== NODE_IP || mine.reply.dport !== w.remotePort) {
    return fail(
      `${outside.name} saw ${NODE_IP}, but ${NODE}'s conntrack has no entry that maps ${NODE_IP}:${w.remotePort} back to netpod: the translation must happen on ${NODE} itself`,
      { expected: `an entry ${client.ip}:${port} → ${outside.ip}:80, replies to ${NODE_IP}:${w.remotePort}`, actual: probe },
    );
  }
  const seen = [`probe: ${outside.name} saw ${w.remoteIp}:${w.remotePort}, ${NODE} maps it back (${describe(mine)})`];

  for (const peer of PEERS) {
    const p = await curlFrom(ctx, CLIENT, peer);
    const pw = parseWhoami(p.body);
    const actual = `${seen.join('; ')}; probe ${CLIENT} → ${peer}: ${curlMeaning(p.code)}${pw.remoteIp ? `, ${peer} saw ${pw.remoteIp}` : ''}`;
    if (p.code !== 0 || pw.hostname !== peer)
      return fail(
        `the outside works, but netpod cannot reach ${peer} (${pod(peer).ip}) now: ${curlMeaning(p.code)}. Did a rule on ${NODE} catch pod-to-pod traffic? (iptables -t nat -S; ip route)`,
        { expected: `${peer} answers netpod`, actual },
      );
    if (pw.remoteIp !== client.ip) {
      return fail(
        `the outside works, but ${peer} on ${pod(peer).node} now sees netpod as ${whose(pw.remoteIp ?? '?')}: your rule masquerades pod-to-pod traffic too. Exempt the cluster CIDR ${CLUSTER_CIDR} (! -d ${CLUSTER_CIDR}), as Cilium does for its ipv4NativeRoutingCIDR`,
        { expected: `${peer} sees ${client.ip}`, actual },
      );
    }
    seen.push(`probe: ${peer} saw ${pw.remoteIp}`);
  }

  // The evidence: a real answer, and the conntrack entry of that very connection.
  const ow = parseWhoami(saved);
  if (ow.hostname !== outside.name || !ow.remoteIp || ow.remotePort === undefined) {
    return fail(
      `the masquerading works, but outside.txt is not an answer from ${outside.name} (no "Hostname: ${outside.name}" and RemoteAddr lines); save it again ${HOW_OUT}`,
      { expected: `Hostname: ${outside.name} … RemoteAddr: ${NODE_IP}:<port>`, actual: saved.trim().split('\n').slice(0, 2).join(' | ') || 'empty file' },
    );
  }
  if (ow.remoteIp !== NODE_IP)
    return fail(
      `outside.txt shows ${outside.name} saw ${whose(ow.remoteIp)}, not ${NODE} (${NODE_IP}): it was saved before the masquerading worked; save it again ${HOW_OUT}`,
      { expected: `RemoteAddr: ${NODE_IP}:<port>`, actual: `RemoteAddr: ${ow.remoteIp}:${ow.remotePort}` },
    );
  if (!(await serverSaw(ctx, outside.name, ow.remoteIp, ow.remotePort))) {
    return fail(
      `outside.txt says ${outside.name} answered ${ow.remoteIp}:${ow.remotePort}, but ${outside.name} never served a request from that address and port (logs/${outside.name}.log): save a real answer, ${HOW_OUT}`,
      { expected: `a request from ${ow.remoteIp}:${ow.remotePort} in logs/${outside.name}.log`, actual: 'no such request' },
    );
  }
  const ctText = await ctx.readFile('conntrack.txt');
  if (ctText === null)
    return fail(`conntrack.txt does not exist yet: ${HOW_CT}`, {
      expected: 'conntrack.txt with the entry of the connection in outside.txt',
      actual: 'no such file',
    });
  const entries = parseConntrack(ctText);
  const match = entries.find(
    (e) => e.orig.src === client.ip && e.orig.dst === outside.ip && e.orig.dport === 80 && e.reply.dst === NODE_IP && e.reply.dport === ow.remotePort,
  );
  if (!match) {
    const what = entries.length ? `its entries (${entries.slice(0, 3).map(describe).join('; ')}) do not include` : 'it holds no conntrack entry, so not';
    return fail(
      `conntrack.txt: ${what} the connection outside.txt shows, ${client.ip} → ${outside.ip}:80 answered to ${NODE_IP}:${ow.remotePort}. Save both again, one right after the other: ${HOW_OUT}; then ${HOW_CT}`,
      {
        expected: `an entry src=${client.ip} dst=${outside.ip} … dport=80 src=${outside.ip} dst=${NODE_IP} sport=80 dport=${ow.remotePort}`,
        actual: entries.length ? `${entries.length} entries, none of them that one` : ctText.trim().split('\n')[0] || 'empty file',
      },
    );
  }
  seen.push(`outside.txt: served ${ow.remoteIp}:${ow.remotePort}; conntrack.txt: ${describe(match)}`);
  return pass(
    `netpod reaches ${outside.ip} as ${NODE_IP} (masqueraded on ${NODE}, mapped back by conntrack), and the pods on the other nodes still see ${client.ip}`,
    { expected: `${outside.name} sees ${NODE_IP}, pods see ${client.ip}`, actual: seen.join('; ') },
  );
}
