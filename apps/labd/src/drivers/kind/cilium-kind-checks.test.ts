import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import type { CheckContext, CheckFunction, ExecResult } from '@ebpf-lab/check-sdk';

// Runs lesson 4's real check.ts files against a fake Kubernetes API on 127.0.0.1 (through
// @kubernetes/client-node, as in a lab) and a fake exec: a fresh cluster must make every check
// `fail`, a solved one every check `pass`, and a missing kubeconfig is an `error`.
const labDir = join(fileURLToPath(import.meta.url), '../../../../../../labs/cilium-kind');
const STEPS = ['install', 'verify', 'connectivity', 'l3-l4', 'l7'];
const NODES = ['elab12cd-control-plane', 'elab12cd-worker', 'elab12cd-worker2'];

type World = 'fresh' | 'solved';
let world: World = 'fresh';
let server: Server;
let kubeconfig = '';

const cond = (ok: boolean) => [{ type: 'Ready', status: ok ? 'True' : 'False' }];
const pod = (name: string, labels: Record<string, string>, node: string, ip: string, ns = 'default') => ({
  metadata: { name, namespace: ns, labels },
  spec: { nodeName: node, containers: [{ name: 'c' }] },
  status: { phase: 'Running', podIP: ip, conditions: cond(true) },
});

function solvedPods(ns: string) {
  if (ns === 'kube-system') return NODES.map((n, i) => pod(`cilium-${i}`, { 'k8s-app': 'cilium' }, n, `172.18.0.${i + 2}`, ns));
  return [
    pod('netpod', { app: 'netpod' }, NODES[0]!, '10.244.0.10'),
    pod('webpod-a', { app: 'webpod' }, NODES[1]!, '10.244.1.10'),
    pod('webpod-b', { app: 'webpod' }, NODES[2]!, '10.244.2.10'),
    pod('tiefighter', { org: 'empire', class: 'tiefighter' }, NODES[1]!, '10.244.1.11'),
    pod('xwing', { org: 'alliance', class: 'xwing' }, NODES[2]!, '10.244.2.11'),
  ];
}

/** Label selectors as the checks write them: k=v, and k in (a,b). */
function matches(labels: Record<string, string>, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(/,(?![^(]*\))/).every((term) => {
    const inSet = /^(\S+) in \(([^)]*)\)$/.exec(term.trim());
    if (inSet)
      return inSet[2]!
        .split(',')
        .map((s) => s.trim())
        .includes(labels[inSet[1]!] ?? '');
    const [k, v] = term.split('=');
    return labels[k!.trim()] === v!.trim();
  });
}

function api(path: string, query: URLSearchParams): [number, unknown] {
  const notFound: [number, unknown] = [404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }];
  const solved = world === 'solved';
  if (path === '/api/v1/nodes') return [200, { kind: 'NodeList', items: NODES.map((name) => ({ metadata: { name }, status: { conditions: cond(solved) } })) }];
  let m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(daemonsets|deployments)\/([^/]+)$/.exec(path);
  if (m) {
    if (!solved || m[3] === 'kube-proxy') return notFound;
    if (m[2] === 'daemonsets') return [200, { metadata: { name: m[3] }, status: { desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3 } }];
    const replicas = m[3] === 'webpod' || m[3] === 'deathstar' ? 2 : 1;
    return [200, { metadata: { name: m[3] }, spec: { replicas }, status: { readyReplicas: replicas } }];
  }
  m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path);
  if (m) return [200, { kind: 'PodList', items: solved ? solvedPods(m[1]!).filter((p) => matches(p.metadata.labels, query.get('labelSelector'))) : [] }];
  if (/^\/apis\/cilium\.io\/v2\/namespaces\/default\/ciliumnetworkpolicies$/.test(path)) {
    return solved ? [200, { items: [parse(readFileSync(join(labDir, 'steps/l7/deathstar-policy.yaml'), 'utf8'))] }] : notFound;
  }
  return notFound;
}

/** What the pods and nodes answer in a solved lab. */
function solvedExec(cmd: string, node?: string): ExecResult {
  const ok = (stdout: string, code = 0): ExecResult => ({ code, stdout, stderr: '', ms: 1 });
  if (node?.endsWith('/cilium-agent'))
    return ok(
      JSON.stringify({
        'kube-proxy-replacement': { mode: 'True' },
        routing: { 'inter-host-routing-mode': 'Native' },
        masquerading: { enabled: true, mode: 'BPF' },
      }),
    );
  if (node && NODES.includes(node)) return ok('*filter\n:INPUT ACCEPT [0:0]\n:KUBE-FIREWALL - [0:0]\nCOMMIT\n');
  if (node === 'pod/default/netpod' && cmd.includes('deathstar')) return ok('\n000', 28);
  if (node === 'pod/default/netpod') return ok('svc webpod-a\nsvc webpod-b\nsvc webpod-a\npod 10.244.1.10 200\npod 10.244.2.10 200\n');
  if (node === 'pod/default/xwing') return ok('\n000', 28);
  if (node === 'pod/default/tiefighter')
    return cmd.includes('-X POST') && cmd.includes('request-landing') ? ok('Ship landed\n200') : ok('Access denied\n\n403');
  throw new Error(`unexpected exec on ${node}: ${cmd}`);
}

function ctxFor(step: string, config: string | null): CheckContext {
  return {
    labId: 'cilium-kind',
    instanceId: 'ab12cd',
    stepId: step,
    signal: new AbortController().signal,
    exec: async (cmd, o) => {
      if (world === 'fresh') throw new Error(`a fresh-lab check ran ${cmd}`);
      return solvedExec(cmd, o?.node);
    },
    json: async () => {
      throw new Error('not used');
    },
    readFile: async (p) => (p === '.kube/config' ? config : null),
    labPids: async () => new Set(),
  };
}

async function runStep(step: string, config: string | null) {
  const mod = (await import(pathToFileURL(join(labDir, 'steps', step, 'check.ts')).href)) as { default: CheckFunction };
  return mod.default(ctxFor(step, config));
}

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [code, body] = api(url.pathname, url.searchParams);
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  kubeconfig = `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;
});
after(() => {
  server.close();
});

test('a fresh cluster (no CNI, nothing deployed): every check fails, none errors', async () => {
  world = 'fresh';
  for (const step of STEPS) {
    const r = await runStep(step, kubeconfig);
    assert.equal(r.status, 'fail', `${step}: ${r.message}`);
  }
});

test('a solved cluster: every check passes', async () => {
  world = 'solved';
  for (const step of STEPS) {
    const r = await runStep(step, kubeconfig);
    assert.equal(r.status, 'pass', `${step}: ${r.message} (${r.actual ?? ''})`);
  }
});

test("no kubeconfig, or an API that does not answer, is an error and never the learner's fail", async () => {
  world = 'fresh';
  const none = await runStep('install', null);
  assert.equal(none.status, 'error');
  assert.match(none.message, /no kubeconfig/);
  const dead = kubeconfig.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:1');
  const r = await runStep('install', dead);
  assert.equal(r.status, 'error');
  assert.match(r.message, /Kubernetes API did not answer/);
});
