// What a set of Cilium and Kubernetes network policies does to one request, evaluated the way
// Cilium enforces them, so a check can accept every way of writing the intended policy and reject
// the over-permissive ones by asking the same question as the lesson: who gets in, on which port,
// with which HTTP call. Pure: unit-tested on real YAML variants without a cluster.

export interface Identity {
  /** Short name for messages (tiefighter, a pod in another namespace, world…). */
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  /** Non-pod peers Cilium knows as entities. */
  entity?: 'world' | 'host';
}

export interface Request {
  from: Identity;
  port: number;
  protocol: 'TCP' | 'UDP';
  method?: string;
  path?: string;
}

type Sel = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | null | undefined;
interface CnpPort {
  port?: string | number;
  endPort?: number;
  protocol?: string;
}
interface CnpPortRule {
  ports?: CnpPort[];
  rules?: { http?: { method?: string; path?: string; headers?: unknown[]; headerMatches?: unknown[] }[] };
}
interface CnpRule {
  fromEndpoints?: Sel[];
  fromEntities?: string[];
  fromCIDR?: string[];
  fromCIDRSet?: { cidr?: string }[];
  toPorts?: CnpPortRule[];
}
interface CnpSpec {
  endpointSelector?: Sel;
  ingress?: CnpRule[];
  ingressDeny?: CnpRule[];
}
interface KnpPeer {
  podSelector?: Sel;
  namespaceSelector?: Sel;
  ipBlock?: { cidr?: string };
}
interface KnpSpec {
  podSelector?: Sel;
  policyTypes?: string[];
  ingress?: { from?: KnpPeer[]; ports?: { port?: number | string; endPort?: number; protocol?: string }[] }[];
}

/** A policy object as read from the API or a YAML file. */
export interface PolicyDoc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: unknown;
  specs?: unknown[];
}

const NS = 'io.kubernetes.pod.namespace';
const nameOf = (p: PolicyDoc) => `${p.kind ?? 'policy'}/${p.metadata?.name ?? '?'}`;

/** Cilium label keys may carry a source prefix; k8s: and any: both match a pod's own labels. */
const plainKey = (k: string) => k.replace(/^(k8s|any):/, '');

function labelsOf(id: Identity): Record<string, string> {
  if (id.entity) return { [`reserved:${id.entity}`]: '' };
  return { ...id.labels, [NS]: id.namespace ?? 'default' };
}

/** A Kubernetes label selector ({} matches everything; null/undefined matches nothing). */
export function selects(sel: Sel, labels: Record<string, string>): boolean {
  if (!sel) return false;
  const get = (k: string) => labels[plainKey(k)];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (get(k) !== String(v)) return false;
  for (const e of sel.matchExpressions ?? []) {
    const v = get(e.key);
    const vals = (e.values ?? []).map(String);
    const op = e.operator;
    if (op === 'In' && (v === undefined || !vals.includes(v))) return false;
    if (op === 'NotIn' && v !== undefined && vals.includes(v)) return false;
    if (op === 'Exists' && v === undefined) return false;
    if (op === 'DoesNotExist' && v !== undefined) return false;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(op)) return false;
  }
  return true;
}

const mentionsNamespace = (sel: Sel) =>
  !!sel && [...Object.keys(sel.matchLabels ?? {}), ...(sel.matchExpressions ?? []).map((e) => e.key)].some((k) => plainKey(k) === NS);
const isAllCidr = (c?: string) => c === '0.0.0.0/0' || c === '::/0';

/** Does a CNP ingress rule's L3 part (its from* fields) match this peer? */
function l3Matches(r: CnpRule, id: Identity, policyNs: string | undefined): boolean {
  const any = r.fromEndpoints !== undefined || r.fromEntities !== undefined || r.fromCIDR !== undefined || r.fromCIDRSet !== undefined;
  if (!any) return true; // an L4-only rule admits every peer on its ports
  if (
    (r.fromEntities ?? []).some(
      (e) => e === 'all' || (e === 'cluster' && (!id.entity || id.entity === 'host')) || (id.entity && (e === id.entity || e === `${id.entity}-ipv4`)),
    )
  )
    return true;
  if (id.entity === 'world' && [...(r.fromCIDR ?? []), ...(r.fromCIDRSet ?? []).map((c) => c.cidr)].some(isAllCidr)) return true;
  return (r.fromEndpoints ?? []).some((sel) => {
    // In a namespaced policy, an endpoint selector stays in that namespace unless it names one.
    if (id.entity) return selects(sel, labelsOf(id)) && Object.keys(sel?.matchLabels ?? {}).some((k) => k.startsWith('reserved:'));
    if (policyNs && !mentionsNamespace(sel) && (id.namespace ?? 'default') !== policyNs) return false;
    return selects(sel, labelsOf(id));
  });
}

function portMatches(p: CnpPort | undefined, req: Request, dfltProto: string): boolean {
  if (!p) return true;
  const proto = (p.protocol ?? dfltProto).toUpperCase();
  if (proto !== 'ANY' && proto !== req.protocol) return false;
  if (p.port === undefined || String(p.port) === '0') return true;
  const n = Number(p.port);
  if (!Number.isInteger(n)) return false; // a named port: the deathstar names none
  return p.endPort ? req.port >= n && req.port <= p.endPort : req.port === n;
}

/** Cilium hands method and path to Envoy as regular expressions that must match the whole value. */
const fullMatch = (re: string | undefined, v: string | undefined) => {
  if (re === undefined || re === '') return true;
  try {
    return new RegExp(`^(?:${re})$`).test(v ?? '');
  } catch {
    return false;
  }
};

/** L4 + L7 of one CNP rule: null when the port does not match, else whether the request gets through. */
function l4l7(r: CnpRule, req: Request, withL7: boolean): boolean | null {
  if (!r.toPorts || r.toPorts.length === 0) return true;
  let verdict: boolean | null = null;
  for (const pr of r.toPorts) {
    const ports = pr.ports?.length ? pr.ports : [undefined];
    if (!ports.some((p) => portMatches(p, req, 'ANY'))) continue;
    const http = withL7 ? pr.rules?.http : undefined;
    // No HTTP rules on the port: all traffic allowed there. With rules: only requests matching one.
    const ok =
      !http ||
      http.length === 0 ||
      (req.method !== undefined &&
        http.some((h) => !h.headers?.length && !h.headerMatches?.length && fullMatch(h.method, req.method) && fullMatch(h.path, req.path)));
    verdict = verdict === true ? true : ok;
  }
  return verdict;
}

function cnpSpecs(p: PolicyDoc): CnpSpec[] {
  return [...(p.spec ? [p.spec as CnpSpec] : []), ...((p.specs ?? []) as CnpSpec[])];
}

interface Verdict {
  allowed: boolean;
  selectedBy: string[];
  why: string;
}

/** Whether `req` reaches `target` under `policies` (already limited to what the API returned). */
export function evaluate(policies: PolicyDoc[], target: Identity, req: Request): Verdict {
  const selectedBy: string[] = [];
  let allowedBy: string | null = null;
  let deniedBy: string | null = null;
  for (const p of policies) {
    const kind = p.kind ?? '';
    const ns = p.metadata?.namespace;
    if (ns && target.namespace && ns !== target.namespace && kind !== 'CiliumClusterwideNetworkPolicy') continue;
    if (kind === 'NetworkPolicy') {
      const s = (p.spec ?? {}) as KnpSpec;
      const types = s.policyTypes ?? ['Ingress'];
      if (!types.includes('Ingress') || !selects(s.podSelector ?? {}, target.labels)) continue;
      selectedBy.push(nameOf(p));
      for (const r of s.ingress ?? []) {
        const peerOk =
          !r.from ||
          r.from.length === 0 ||
          (!req.from.entity &&
            r.from.some((peer) => {
              if (peer.ipBlock) return false;
              const nsOk = peer.namespaceSelector
                ? selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': req.from.namespace ?? 'default' })
                : (req.from.namespace ?? 'default') === (ns ?? target.namespace ?? 'default');
              return nsOk && (peer.podSelector ? selects(peer.podSelector, req.from.labels) : true);
            })) ||
          (req.from.entity === 'world' && (r.from ?? []).some((peer) => isAllCidr(peer.ipBlock?.cidr)));
        const portOk = !r.ports || r.ports.length === 0 || r.ports.some((pt) => portMatches(pt, req, 'TCP'));
        if (peerOk && portOk) allowedBy ??= nameOf(p);
      }
      continue;
    }
    const policyNs = kind === 'CiliumClusterwideNetworkPolicy' ? undefined : (ns ?? target.namespace);
    for (const s of cnpSpecs(p)) {
      if (!selects(s.endpointSelector, labelsOf(target))) continue;
      if (s.ingress === undefined && s.ingressDeny === undefined) continue;
      selectedBy.push(nameOf(p));
      for (const r of s.ingressDeny ?? []) if (l3Matches(r, req.from, policyNs) && l4l7(r, req, false) === true) deniedBy ??= nameOf(p);
      for (const r of s.ingress ?? []) if (l3Matches(r, req.from, policyNs) && l4l7(r, req, true) === true) allowedBy ??= nameOf(p);
    }
  }
  // Host traffic to a local endpoint is allowed by default (Cilium's allow-localhost).
  if (req.from.entity === 'host') return { allowed: !deniedBy, selectedBy, why: 'host traffic is allowed by default' };
  if (selectedBy.length === 0) return { allowed: true, selectedBy, why: 'no policy selects the target, so nothing is enforced' };
  if (deniedBy) return { allowed: false, selectedBy, why: `denied by ${deniedBy}` };
  return allowedBy
    ? { allowed: true, selectedBy, why: `allowed by ${allowedBy}` }
    : { allowed: false, selectedBy, why: 'no rule allows it (default deny once a policy selects the target)' };
}
