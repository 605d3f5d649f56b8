/**
 * Reads conntrack entries as the kernel prints them in /proc/net/nf_conntrack
 * ("ipv4 2 tcp 6 117 TIME_WAIT src=… dst=… sport=… dport=… src=… dst=… sport=… dport=… [ASSURED] …")
 * or as `conntrack -L` does (the same without the leading "ipv4 2"). The first address tuple is
 * the original direction (what the pod sent), the second the reply direction: after masquerading,
 * the reply's dst is the node's address, and that difference is the NAT.
 */

export interface Tuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}
export interface ConntrackEntry {
  proto: string;
  state?: string;
  orig: Tuple;
  reply: Tuple;
  line: string;
}

const TUPLE = /src=([\d.]+) dst=([\d.]+) sport=(\d+) dport=(\d+)/g;

export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const head = /^(?:ipv4\s+2\s+)?(tcp|udp)\s+\d+\s+\d+\s+(?:([A-Z_]+)\s+)?/.exec(line.trim());
    if (!head) continue;
    const t = [...line.matchAll(TUPLE)].map((m) => ({ src: m[1]!, dst: m[2]!, sport: Number(m[3]), dport: Number(m[4]) }));
    if (t.length < 2) continue;
    out.push({ proto: head[1]!, state: head[2], orig: t[0]!, reply: t[1]!, line: line.trim() });
  }
  return out;
}

/** Whether the reply goes back to someone other than the original sender: the source was rewritten. */
export const snatted = (e: ConntrackEntry) => e.reply.dst !== e.orig.src;

/** One entry in the words of the lesson: pod ip:port → dst, answered to ip:port. */
export const describe = (e: ConntrackEntry) => `${e.orig.src}:${e.orig.sport} → ${e.orig.dst}:${e.orig.dport}, replies to ${e.reply.dst}:${e.reply.dport}`;
