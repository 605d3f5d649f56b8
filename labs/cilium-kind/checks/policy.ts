// What lessons 4's policy steps ask of the deathstar, as requests from every identity that matters
// and the verdict each must get. The checks evaluate the learner's policies against them (any valid
// form passes: CNP or Kubernetes NetworkPolicy, matchLabels or matchExpressions, k8s:/any: prefixes,
// protocol ANY, regex paths), and an over-permissive policy fails on the request it lets through.
import { evaluate, type Identity, type PolicyDoc, type Request } from './policy-eval.ts';

export type { PolicyDoc } from './policy-eval.ts';

export const DEATHSTAR_ID: Identity = {
  name: 'deathstar',
  namespace: 'default',
  labels: { org: 'empire', class: 'deathstar', 'app.kubernetes.io/name': 'deathstar' },
};

const pod = (name: string, namespace: string, labels: Record<string, string>): Identity => ({ name, namespace, labels });
const tie = pod('tiefighter', 'default', { org: 'empire', class: 'tiefighter', 'app.kubernetes.io/name': 'tiefighter' });
const xwing = pod('xwing', 'default', { org: 'alliance', class: 'xwing', 'app.kubernetes.io/name': 'xwing' });
const peer = pod('another deathstar pod (org=empire)', 'default', DEATHSTAR_ID.labels);
const netpod = pod('netpod', 'default', { app: 'netpod' });
const rebel = pod('an org=alliance pod in namespace rebels', 'rebels', { org: 'alliance' });
const stranger = pod('an unlabelled pod in namespace other', 'other', {});
const farEmpire = pod('an org=empire pod in namespace imperial', 'imperial', { org: 'empire' });
const world: Identity = { name: 'a client outside the cluster (world)', labels: {}, entity: 'world' };

export type Want = 'allow' | 'deny' | 'any';
export interface Probe extends Request {
  want: Want;
}

const http = (from: Identity, method: string, path: string, want: Want, port = 80): Probe => ({ from, port, protocol: 'TCP', method, path, want });
const raw = (from: Identity, protocol: 'TCP' | 'UDP', port: number, want: Want): Probe => ({ from, port, protocol, want });
const LAND = '/v1/request-landing';

/** Step l3-l4: org=empire on TCP 80, nothing else; HTTP details are the next step's business. */
export const L3L4: Probe[] = [
  http(tie, 'POST', LAND, 'allow'),
  http(peer, 'POST', LAND, 'allow'),
  http(tie, 'PUT', '/v1/exhaust-port', 'any'),
  http(xwing, 'POST', LAND, 'deny'),
  http(netpod, 'POST', LAND, 'deny'),
  http(rebel, 'POST', LAND, 'deny'),
  http(stranger, 'POST', LAND, 'deny'),
  http(world, 'POST', LAND, 'deny'),
  http(farEmpire, 'POST', LAND, 'any'),
  raw(tie, 'TCP', 8080, 'deny'),
  raw(tie, 'TCP', 443, 'deny'),
  raw(tie, 'UDP', 80, 'any'), // protocol ANY is a valid way to write "port 80"
  raw(xwing, 'UDP', 80, 'deny'),
  raw(xwing, 'TCP', 8080, 'deny'),
];

/** Step l7: the same, and on port 80 exactly POST /v1/request-landing. */
export const L7: Probe[] = [
  ...L3L4.filter((p) => !(p.from === tie && p.method === 'PUT')),
  http(tie, 'PUT', '/v1/exhaust-port', 'deny'),
  http(tie, 'PUT', LAND, 'deny'),
  http(tie, 'GET', LAND, 'deny'),
  http(tie, 'POST', '/v1/exhaust-port', 'deny'),
  http(tie, 'GET', '/', 'deny'),
  http(tie, 'POST', `${LAND}x`, 'deny'),
  http(tie, 'POST', `${LAND}/extra`, 'deny'),
  http(tie, 'POST', `/x${LAND}`, 'deny'),
  http(peer, 'PUT', '/v1/exhaust-port', 'deny'),
];

const describe = (p: Probe) => `${p.from.name} → ${p.protocol} ${p.port}${p.method ? ` ${p.method} ${p.path}` : ''}`;

export interface PolicyJudgement {
  ok: boolean;
  /** Policies that select the deathstar. */
  selecting: string[];
  /** Requests whose verdict is not the one the step asks for (first ones first). */
  wrong: { probe: string; want: Want; got: 'allow' | 'deny'; why: string }[];
}

/** Evaluates `policies` (CNP, CCNP and NetworkPolicy objects) against a step's probes. */
export function judgePolicies(policies: PolicyDoc[], probes: Probe[]): PolicyJudgement {
  const wrong: PolicyJudgement['wrong'] = [];
  let selecting: string[] = [];
  for (const p of probes) {
    const v = evaluate(policies, DEATHSTAR_ID, p);
    selecting = [...new Set([...selecting, ...v.selectedBy])];
    const got = v.allowed ? 'allow' : 'deny';
    if (p.want !== 'any' && p.want !== got) wrong.push({ probe: describe(p), want: p.want, got, why: v.why });
  }
  return { ok: wrong.length === 0, selecting, wrong };
}

/** One line a learner can act on: what got through (or not) that should not have, and why. */
export function explain(j: PolicyJudgement): string {
  if (j.selecting.length === 0) return 'no policy selects the deathstar (pods org=empire, class=deathstar in namespace default), so every request gets through';
  const w = j.wrong[0]!;
  const more =
    j.wrong.length > 1
      ? ` (and ${j.wrong.length - 1} more: ${j.wrong
          .slice(1, 4)
          .map((x) => `${x.probe} ${x.got === 'allow' ? 'allowed' : 'denied'}`)
          .join('; ')})`
      : '';
  return `${w.probe} is ${w.got === 'allow' ? 'allowed' : 'denied'} but should be ${w.want === 'allow' ? 'allowed' : 'denied'}: ${w.why}${more}`;
}
