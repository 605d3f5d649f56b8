import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadLab } from '@ebpf-lab/lab-spec';
import type { Progress } from '../types.ts';

// The driver's orchestration (up, exec, alive, down, reap) against stand-ins for docker, kind and
// helm that print what the real tools print, and a fake API server on 127.0.0.1 for the wait.
// What this cannot show (a real cluster) is kind-integration.test.ts's job.
const root = mkdtempSync(join(tmpdir(), 'kind-driver-'));
const bin = join(root, 'bin');
const fake = join(root, 'fake');
process.env.ELAB_STATE_DIR = join(root, 'state');
process.env.FAKE_DIR = fake;
process.env.PATH = `${bin}:${process.env.PATH}`;
const labDir = join(fileURLToPath(import.meta.url), '../../../../../../labs/cilium-kind');

const TOOLS: Record<string, string> = {
  docker: `
case "$1" in
  info) echo 27.0.0 ;;
  image) grep -qxF "\${@: -1}" "$FAKE_DIR/images" 2>/dev/null ;;
  pull) [ -z "\${FAKE_NO_PULL:-}" ] || { echo "Error response from daemon: Get https://registry: dial tcp: lookup registry: no such host" >&2; exit 1; }; echo "$2" >> "$FAKE_DIR/images" ;;
  ps) label=$(printf '%s\\n' "$@" | sed -n 's/^label=io.x-k8s.kind.cluster=//p')
      if [ -n "$label" ]; then cat "$FAKE_DIR/clusters/$label" 2>/dev/null || true
      else for f in "$FAKE_DIR"/clusters/*; do [ -f "$f" ] && sed "s/.*/$(basename "$f")/" "$f"; done; true; fi ;;
  inspect) for _ in "\${@:4}"; do printf '%064d\\n' 7; done ;;
  rm) shift 2; for n in "$@"; do for f in "$FAKE_DIR"/clusters/*; do [ -f "$f" ] && sed -i "/^$n$/d" "$f" && [ ! -s "$f" ] && rm -f "$f"; done; done; true ;;
  exec) cmd="\${@: -1}"; node="\${@: -4:1}"; LAB_FAKE_NODE="$node" bash -c "$cmd" ;;
  *) echo "fake docker: $*" >&2; exit 2 ;;
esac`,
  kind: `
name=$(printf '%s\\n' "$@" | sed -n '/^--name$/{n;p}')
case "$1 $2" in
  "create cluster") kc=$(printf '%s\\n' "$@" | sed -n '/^--kubeconfig$/{n;p}')
    echo "Creating cluster \\"$name\\" ..." >&2
    for p in "Ensuring node image (kindest/node:v1.33.1) 🖼" "Preparing nodes 📦 📦 📦" "Writing configuration 📜" "Starting control-plane 🕹️" "Installing StorageClass 💾" "Joining worker nodes 🚜"; do
      echo " • $p  ..." >&2; echo " ✓ $p" >&2; done
    mkdir -p "$FAKE_DIR/clusters" "$(dirname "$kc")"
    printf '%s\\n' "$name-control-plane" "$name-worker" "$name-worker2" > "$FAKE_DIR/clusters/$name"
    cp "$FAKE_DIR/kubeconfig" "$kc" ;;
  "load docker-image") shift 4; for i in "$@"; do echo "Image: \\"$i\\" with ID \\"sha256:1\\" not yet present on node \\"$name-worker\\", loading..."; done ;;
  "delete cluster") echo "Deleting cluster \\"$name\\" ..." >&2; rm -f "$FAKE_DIR/clusters/$name" ;;
  "get clusters") ls "$FAKE_DIR/clusters" 2>/dev/null || echo "No kind clusters found." >&2 ;;
esac`,
  helm: `
case "$1" in
  pull) dest=$(printf '%s\\n' "$@" | sed -n '/^--destination$/{n;p}'); ver=$(printf '%s\\n' "$@" | sed -n '/^--version$/{n;p}'); : > "$dest/$2-$ver.tgz" ;;
  template) printf 'kind: DaemonSet\\nspec:\\n  template:\\n    spec:\\n      containers: [{name: agent, image: "quay.io/cilium/cilium:v1.18.0"}]\\n' ;;
  upgrade) echo "STATUS: deployed" ;;
esac`,
  kubectl: 'exit 0',
};

let server: Server;

before(async () => {
  mkdirSync(bin, { recursive: true });
  mkdirSync(join(fake, 'clusters'), { recursive: true });
  for (const [name, body] of Object.entries(TOOLS)) {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  server = createServer((req, res) => {
    const nodes = ['control-plane', 'worker', 'worker2'].map((n) => ({ metadata: { name: n }, status: { conditions: [{ type: 'Ready', status: 'False' }] } }));
    res
      .writeHead(req.url?.startsWith('/api/v1/nodes') ? 200 : 404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ kind: 'NodeList', items: nodes }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  writeFileSync(
    join(fake, 'kubeconfig'),
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
  );
});
after(() => {
  server.close();
});

async function driver() {
  const { KindDriver } = await import('./kind-driver.ts');
  return new KindDriver();
}

test('up builds the cluster, leaves the lesson release as a script, and down removes everything (twice is fine)', async () => {
  writeFileSync(join(fake, 'images'), 'nicolaka/netshoot:v0.13\ntraefik/whoami:v1.10.1\nquay.io/cilium/starwars:v2.1\n');
  const progress: Progress[] = [];
  const inst = await (await driver()).up(loadLab(labDir), (p) => progress.push(p));
  const cluster = `el${inst.state.id}`;
  const msgs = progress.map((p) => p.message);
  assert.ok(msgs.includes(`creating kind cluster ${cluster}`));
  assert.ok(msgs.includes('Preparing nodes: done'));
  assert.ok(msgs.includes('pulling quay.io/cilium/cilium:v1.18.0'), 'the chart image missing locally is pulled');
  assert.ok(msgs.includes(`loading quay.io/cilium/cilium:v1.18.0 onto ${cluster}-worker`));
  assert.ok(msgs.includes('nodes 3/3 registered'), 'no CNI yet: only registration is awaited');
  assert.deepEqual(inst.state.nodes, ['host', `${cluster}-control-plane`, `${cluster}-worker`, `${cluster}-worker2`]);

  const script = (await inst.readFile('.lab/helm-cilium.sh')).toString();
  assert.match(script, /exec helm 'upgrade' '--install' 'cilium' '[^']*\/cache\/charts\/cilium-1\.18\.0\.tgz' '--namespace' 'kube-system'/);
  assert.match((await inst.readFile('helm/cilium-values.yaml')).toString(), new RegExp(`k8sServiceHost: "${cluster}-control-plane"`));
  assert.match((await inst.readFile('.lab/kind.yaml')).toString(), new RegExp(`name: ${cluster}`));
  assert.ok((await inst.readFile('manifests/starwars.yaml')).length > 0);
  await assert.rejects(inst.readFile('../state.json'), /outside the lab workdir/);

  const host = await inst.exec('echo "$KIND_CLUSTER $(basename "$KUBECONFIG") $PWD"');
  assert.equal(host.stdout.trim(), `${cluster} config ${inst.state.workdir}`);
  const node = await inst.exec('echo "on $LAB_FAKE_NODE"', { node: 'worker2' });
  assert.equal(node.stdout.trim(), `on ${cluster}-worker2`);
  await assert.rejects(inst.exec('true', { node: 'worker9' }), /no node "worker9"/);

  assert.equal(await inst.alive(), true);
  const kept = await (await driver()).reap({ all: false });
  assert.ok(kept.kept.includes(inst.state.id));
  await inst.down();
  assert.equal(await inst.alive(), false);
  assert.ok(!existsSync(inst.state.workdir));
  await inst.down();
});

test('images that cannot be pulled stop up before any cluster exists, naming them and the alternative lab', async () => {
  writeFileSync(join(fake, 'images'), 'nicolaka/netshoot:v0.13\n');
  process.env.FAKE_NO_PULL = '1';
  try {
    await assert.rejects((await driver()).up(loadLab(labDir)), (e: Error & { hint?: string; exitCode?: number }) => {
      assert.match(
        e.message,
        /^container images missing and not pullable from here: quay\.io\/cilium\/cilium:v1\.18\.0, quay\.io\/cilium\/starwars:v2\.1, traefik\/whoami:v1\.10\.1$/,
      );
      assert.match(e.hint!, /docker save -o kind-images\.tar/);
      assert.match(e.hint!, /lab up pod-to-pod$/);
      assert.equal(e.exitCode, 3);
      return true;
    });
  } finally {
    delete process.env.FAKE_NO_PULL;
  }
  assert.equal(readFileSync(join(fake, 'images'), 'utf8'), 'nicolaka/netshoot:v0.13\n');
  assert.deepEqual((await (await driver()).reap({ all: false })).removed, [], 'nothing was left behind');
});

test('reap removes el<id> clusters without live state and leaves other clusters alone', async () => {
  writeFileSync(join(fake, 'clusters', 'elzz12ab'), 'elzz12ab-control-plane\n');
  writeFileSync(join(fake, 'clusters', 'kind'), 'kind-control-plane\n');
  const r = await (await driver()).reap({ all: false });
  assert.deepEqual(r.removed, ['zz12ab']);
  assert.deepEqual(r.errors, []);
  assert.ok(!existsSync(join(fake, 'clusters', 'elzz12ab')));
  assert.ok(existsSync(join(fake, 'clusters', 'kind')));
});
