import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Which process holds a TCP connection, read from /proc: the terminal handoff (handoff.ts) uses it
 * to make sure the pid a request names is the process that sent the request, so a caller can only
 * ever hand labd its own sockets.
 */

export interface Endpoint {
  address: string;
  port: number;
}

/** An address as Node prints it ('127.0.0.1', '::1', '::ffff:127.0.0.1') in 16 bytes; IPv4 as v4-mapped. */
export function addressBytes(address: string): Buffer | null {
  if (isIPv4(address)) return Buffer.from([...Buffer.alloc(10), 0xff, 0xff, ...address.split('.').map(Number)]);
  if (!isIPv6(address)) return null;
  let a = address.replace(/%.*$/, ''); // a zone (fe80::1%lo) is not part of the address
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    a = a.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return null;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** /proc/net/tcp{,6}'s hex address: 32-bit words in host (little-endian) order; IPv4 as v4-mapped. */
function procAddress(hex: string): Buffer {
  const raw = Buffer.from(hex, 'hex');
  for (let i = 0; i < raw.length; i += 4) raw.subarray(i, i + 4).reverse();
  return raw.length === 4 ? Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), raw]) : raw;
}

/**
 * The socket inode of the TCP connection whose local end is `local` and remote end is `remote`, as
 * this process's network namespace lists it, or null. Both ends of a loopback connection are
 * listed, each as its own socket: the caller says which side it wants by the order.
 */
export function tcpInode(local: Endpoint, remote: Endpoint, tables = ['/proc/self/net/tcp', '/proc/self/net/tcp6']): number | null {
  const l = addressBytes(local.address);
  const r = addressBytes(remote.address);
  if (!l || !r) return null;
  for (const table of tables) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6 on this host
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [la, lp] = f[1]!.split(':');
      const [ra, rp] = f[2]!.split(':');
      if (parseInt(lp!, 16) !== local.port || parseInt(rp!, 16) !== remote.port) continue;
      if (!procAddress(la!).equals(l) || !procAddress(ra!).equals(r)) continue;
      const inode = Number(f[9]);
      if (inode > 0) return inode;
    }
  }
  return null;
}

/** Whether process `pid` has socket `inode` open (one of its /proc/<pid>/fd links is socket:[inode]). */
export function holdsSocket(pid: number, inode: number): boolean {
  const want = `socket:[${inode}]`;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone, or not ours to look at
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === want) return true;
    } catch {
      /* closed meanwhile */
    }
  }
  return false;
}

/**
 * Why process `pid` may not hand labd a socket, or null. Holding the request's connection is not
 * enough: an unprivileged caller could fork a setuid program that inherits the connection and
 * name that program's own sockets. So the process must be plainly its user's (real, effective,
 * saved and filesystem ids all alike: nothing raised it) and run this very Node, as the web does.
 */
export function handoffProcessProblem(pid: number, node = process.execPath): string | null {
  let status: string;
  let exe: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
    exe = realpathSync(`/proc/${pid}/exe`);
  } catch {
    return `process ${pid} cannot be inspected`;
  }
  for (const key of ['Uid', 'Gid']) {
    const ids = new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(status)?.[1]?.trim().split(/\s+/) ?? [];
    if (ids.length !== 4 || new Set(ids).size !== 1) return `process ${pid} runs with mixed ${key}s (${ids.join(' ')}), as a setuid or setgid program does`;
  }
  if (exe !== realpathSync(node)) return `process ${pid} runs ${exe}, not ${node} as the web does`;
  return null;
}
