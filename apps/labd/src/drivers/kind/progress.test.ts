import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseFailure, parseHelmLine, parseKindLine } from './progress.ts';

test('kind create cluster lines become progress, emoji stripped, fractions on completion', () => {
  assert.deepEqual(parseKindLine('Creating cluster "elab12cd" ...'), { phase: 'cluster', message: 'creating kind cluster elab12cd', fraction: 0.05 });
  assert.deepEqual(parseKindLine(' • Ensuring node image (kindest/node:v1.33.1) 🖼  ...'), {
    phase: 'cluster',
    message: 'Ensuring node image (kindest/node:v1.33.1)',
    fraction: undefined,
  });
  assert.deepEqual(parseKindLine(' ✓ Ensuring node image (kindest/node:v1.33.1) 🖼'), {
    phase: 'cluster',
    message: 'Ensuring node image (kindest/node:v1.33.1): done',
    fraction: 0.12,
  });
  assert.deepEqual(parseKindLine(' ✓ Preparing nodes 📦 📦 📦  '), { phase: 'cluster', message: 'Preparing nodes: done', fraction: 0.2 });
  assert.deepEqual(parseKindLine(' ✓ Starting control-plane 🕹️'), { phase: 'cluster', message: 'Starting control-plane: done', fraction: 0.34 });
  assert.deepEqual(parseKindLine(' ✓ Joining worker nodes 🚜'), { phase: 'cluster', message: 'Joining worker nodes: done', fraction: 0.45 });
  assert.deepEqual(parseKindLine(' ✗ Starting control-plane 🕹️'), { phase: 'cluster', message: 'failed: Starting control-plane' });
  assert.equal(parseKindLine('Set kubectl context to "kind-elab12cd"'), null);
  assert.equal(parseKindLine('   '), null);
});

test('kind load lines name the image and node', () => {
  assert.deepEqual(parseKindLine('Image: "quay.io/cilium/cilium:v1.18.0" with ID "sha256:abc" not yet present on node "elab12cd-worker", loading...'), {
    phase: 'images',
    message: 'loading quay.io/cilium/cilium:v1.18.0 onto elab12cd-worker',
  });
  assert.deepEqual(parseKindLine('Image: "nicolaka/netshoot:v0.13" with ID "sha256:abc" found to be already present on all nodes.'), {
    phase: 'images',
    message: 'nicolaka/netshoot:v0.13 already on every node',
  });
});

test('helm lines worth passing on', () => {
  assert.deepEqual(parseHelmLine('STATUS: deployed', 'cilium'), { phase: 'helm', message: 'cilium: deployed' });
  assert.deepEqual(parseHelmLine('Release "cilium" has been upgraded. Happy Helming!', 'cilium'), { phase: 'helm', message: 'cilium: upgraded' });
  assert.deepEqual(parseHelmLine('Error: INSTALLATION FAILED: context deadline exceeded', 'cilium'), {
    phase: 'helm',
    message: 'cilium: Error: INSTALLATION FAILED: context deadline exceeded',
  });
  assert.equal(parseHelmLine('NOTES:', 'cilium'), null);
});

test('known failures become what + fix', () => {
  const pull = diagnoseFailure('ERROR: failed to create cluster: failed to pull image "kindest/node:v1.33.1@sha256:0123": exit status 1');
  assert.equal(pull?.what, 'the kind node image kindest/node:v1.33.1@sha256:0123 is not on this machine and could not be pulled');
  assert.match(pull!.fix, /docker save kindest\/node:v1\.33\.1@sha256:0123 -o node\.tar; here: docker load -i node\.tar$/);
  assert.match(diagnoseFailure('ERROR: failed to create cluster: node(s) already exist for a cluster with the name "elab12cd"')!.fix, /lab reap/);
  assert.match(diagnoseFailure('Cannot connect to the Docker daemon at unix:///var/run/docker.sock.')!.what, /docker daemon/);
  assert.match(
    diagnoseFailure(
      'Error: looks like "https://helm.cilium.io" is not a valid chart repository or cannot be reached: Get "https://helm.cilium.io/index.yaml": dial tcp: lookup helm.cilium.io: no such host',
    )!.what,
    /chart repository cannot be reached/,
  );
  assert.equal(diagnoseFailure('something else entirely'), null);
});
