import type { AddressInfo } from 'node:net';
import { isLoopbackHost } from '../core/policy.ts';

/**
 * The Host header values labd answers to. A page on any other name (DNS rebinding: evil.example
 * resolving to 127.0.0.1) would otherwise reach labd from the browser as a same-origin request;
 * checking Host closes that even before the token check. Allowed: the address labd listens on with
 * its port, the loopback names with its port when it listens on loopback (or everywhere), and the
 * names an operator lists with --allowed-hosts / ELAB_ALLOWED_HOSTS (for a deployment behind a name).
 */
export interface HostCheck {
  allows(host: string | undefined): boolean;
  refusal(host: string | undefined): string;
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** "name" or "name:port" (IPv6 as "[::1]:port"), lower-cased; null when it cannot be parsed. */
export function splitHost(hostHeader: string): { name: string; port: string | null } | null {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(hostHeader.trim());
  return m ? { name: m[1]!.toLowerCase().replace(/\.$/, ''), port: m[2] ?? null } : null;
}

export function hostCheck(address: AddressInfo, configuredHost: string, extra: string[]): HostCheck {
  const port = String(address.port);
  const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h).toLowerCase();
  const exact = new Set<string>(); // name:port pairs
  const anyPort = new Set<string>(); // names from --allowed-hosts given without a port
  const wildcard = WILDCARD.has(address.address);
  if (!wildcard) exact.add(`${bracket(address.address)}:${port}`);
  if (!WILDCARD.has(configuredHost)) exact.add(`${bracket(configuredHost)}:${port}`);
  if (wildcard || isLoopbackHost(address.address)) {
    for (const n of ['127.0.0.1', 'localhost', '[::1]']) exact.add(`${n}:${port}`);
  }
  for (const e of extra) {
    const s = splitHost(e);
    if (!s) continue;
    if (s.port) exact.add(`${s.name}:${s.port}`);
    else anyPort.add(s.name);
  }
  return {
    allows(host) {
      const s = host ? splitHost(host) : null;
      if (!s) return false;
      // A Host without a port means the scheme's default one (80 for http).
      return exact.has(`${s.name}:${s.port ?? '80'}`) || anyPort.has(s.name);
    },
    refusal(host) {
      return (
        `labd does not answer to Host "${String(host ?? '').slice(0, 100)}"; it answers to ${[...exact, ...anyPort].join(', ')}. ` +
        'If labd is reached under another name, start it with --allowed-hosts NAME[:PORT][,...] (ELAB_ALLOWED_HOSTS)'
      );
    },
  };
}
