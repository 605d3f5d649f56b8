import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cannotRunHint, FIXES, kindHostItems, MISSING_IMAGE_FIX, missingLocalImages, summarizeMissing, toCapabilityReport } from './host-check.ts';
import { KindDriver } from './kind-driver.ts';

/** A PATH holding only the named fake tools (each exits 0). */
function fakePath(tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'kind-path-'));
  for (const t of tools) {
    writeFileSync(join(dir, t), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, t), 0o755);
  }
  return dir;
}

const daemonUp = async () => ({ code: 0, stdout: '27.5.1\n', stderr: '' });
const daemonDown = async () => ({
  code: 1,
  stdout: '',
  stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
});
const daemonDenied = async () => ({ code: 1, stdout: '', stderr: 'permission denied while trying to connect to the Docker daemon socket' });

test('a PATH without any tool: docker, kind, helm and kubectl each named with their exact fix', async () => {
  const items = await kindHostItems({ path: fakePath([]), docker: daemonUp });
  const report = toCapabilityReport(items);
  assert.equal(report.ok, false);
  assert.deepEqual(report.missing, [
    { what: 'docker: docker CLI not found on PATH', fix: 'apt-get install docker.io' },
    {
      what: 'kind: kind not found on PATH',
      fix: 'install kind: go install sigs.k8s.io/kind@latest (needs Go), or put the release binary on PATH, see https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
    },
    { what: 'helm: helm not found on PATH', fix: 'install Helm 3: put the release binary on PATH, see https://helm.sh/docs/intro/install/' },
    {
      what: 'kubectl: kubectl not found on PATH',
      fix: 'install kubectl: put the release binary on PATH, see https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/',
    },
  ]);
  // The daemon is only asked about when the CLI exists.
  assert.ok(!items.some((i) => i.name === 'dockerd'));
  assert.equal(summarizeMissing(items), 'docker, kind, helm, kubectl');
});

test('docker present but its daemon down or refused: the daemon is what is missing', async () => {
  const path = fakePath(['docker', 'kind', 'helm', 'kubectl']);
  const down = toCapabilityReport(await kindHostItems({ path, docker: daemonDown }));
  assert.equal(down.missing.length, 1);
  assert.match(down.missing[0]!.what, /^docker daemon not reachable \(Cannot connect/);
  assert.equal(down.missing[0]!.fix, FIXES.dockerd);
  const denied = toCapabilityReport(await kindHostItems({ path, docker: daemonDenied }));
  assert.equal(denied.missing[0]!.fix, 'run lab as root, or add your user to the docker group: usermod -aG docker $USER (then log in again)');
  assert.equal(summarizeMissing(await kindHostItems({ path, docker: daemonDown })), 'a reachable docker daemon');
});

test('everything present: preflight is ok', async () => {
  const report = toCapabilityReport(await kindHostItems({ path: fakePath(['docker', 'kind', 'helm', 'kubectl']), docker: daemonUp }));
  assert.deepEqual(report, { ok: true, missing: [] });
});

test('images missing locally are listed, with the docker save/load route as the fix', async () => {
  const missing = await missingLocalImages(['a:1', 'b:2'], { docker: async (args) => ({ code: args.at(-1) === 'a:1' ? 0 : 1, stdout: '', stderr: '' }) });
  assert.deepEqual(missing, ['b:2']);
  assert.equal(
    MISSING_IMAGE_FIX(['b:2', 'c:3']),
    'on a machine that can pull images: docker pull b:2 && docker pull c:3 && docker save -o kind-images.tar b:2 c:3; copy kind-images.tar here and run: docker load -i kind-images.tar',
  );
  assert.equal(summarizeMissing([], ['b:2']), 'images b:2');
});

test('the cannot-run hint lists each fix, the image requirement, and the lab to take instead', () => {
  const hint = cannotRunHint(
    [
      { what: 'kind', fix: FIXES.kind },
      { what: 'helm', fix: FIXES.helm },
    ],
    'pod-to-pod',
  );
  const lines = hint.split('\n');
  assert.equal(lines[0], `- ${FIXES.kind}`);
  assert.equal(lines[1], `- ${FIXES.helm}`);
  assert.match(lines[2]!, /pull container images/);
  assert.equal(lines[3], 'Meanwhile, this machine can run the same ideas without docker or a cluster: lab up pod-to-pod');
});

test('up on a machine without the tools fails before creating anything, offering the alternative lab', async () => {
  const driver = new KindDriver({ path: fakePath([]), docker: daemonUp });
  const lab = {
    spec: { id: 'cilium-kind', kind: { config: 'kind.yaml', images: [], helm: [], waitSeconds: 600, alternative: 'pod-to-pod' } },
    dir: '/nonexistent',
    steps: [],
  };
  await assert.rejects(driver.up(lab as never), (e: Error & { hint?: string; exitCode?: number }) => {
    assert.match(e.message, /^the kind driver cannot run here: docker: docker CLI not found on PATH; kind: kind not found on PATH; helm: .*; kubectl: /);
    assert.equal(e.exitCode, 3);
    assert.match(e.hint!, /lab up pod-to-pod$/);
    return true;
  });
});
