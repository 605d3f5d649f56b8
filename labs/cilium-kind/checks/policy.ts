// What a CiliumNetworkPolicy says about the deathstar, read from its spec (pure: the lab's unit
// test runs these on the reference policies).

interface Selector { matchLabels?: Record<string, string> }
interface PortRule { ports?: { port?: string | number; protocol?: string }[]; rules?: { http?: { method?: string; path?: string }[] } }
interface IngressRule { fromEndpoints?: Selector[]; toPorts?: PortRule[] }
export interface CnpSpec { endpointSelector?: Selector; ingress?: IngressRule[] }
export interface Cnp { metadata?: { name?: string }; spec?: CnpSpec; specs?: CnpSpec[] }

const specsOf = (p: Cnp): CnpSpec[] => [...(p.spec ? [p.spec] : []), ...(p.specs ?? [])];

const selectsDeathstar = (s: CnpSpec) => {
  const l = s.endpointSelector?.matchLabels ?? {};
  return l.class === 'deathstar' && (l.org === undefined || l.org === 'empire');
};

const fromEmpire = (r: IngressRule) => (r.fromEndpoints ?? []).some((e) => e.matchLabels?.org === 'empire');

const onPort80 = (pr: PortRule) => (pr.ports ?? []).some((p) => String(p.port) === '80' && (p.protocol ?? 'TCP').toUpperCase() === 'TCP');

/** Policies that select the deathstar pods. */
export const deathstarPolicies = (ps: Cnp[]) => ps.filter((p) => specsOf(p).some(selectsDeathstar));

/** Allows org=empire to the deathstar on TCP 80 (with or without L7 rules). */
export function allowsEmpireOn80(p: Cnp): boolean {
  return specsOf(p).some((s) => selectsDeathstar(s) && (s.ingress ?? []).some((r) => fromEmpire(r) && (r.toPorts ?? []).some(onPort80)));
}

/** Has an L7 rule on port 80 that lets through exactly POST /v1/request-landing. */
export function allowsOnlyLanding(p: Cnp): boolean {
  return specsOf(p).some((s) => selectsDeathstar(s) && (s.ingress ?? []).some((r) => fromEmpire(r) && (r.toPorts ?? []).some((pr) => {
    const http = pr.rules?.http ?? [];
    return onPort80(pr) && http.length === 1 && http[0]!.method?.toUpperCase() === 'POST' && http[0]!.path === '/v1/request-landing';
  })));
}
