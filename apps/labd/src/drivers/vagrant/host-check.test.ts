import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configOf } from '../../config.ts';
import { checkHost, chooseProvider, FIXES, parseBoxList } from './host-check.ts';

// Each case is a PATH holding only stand-ins for the tools it names (and the coreutils the
// stand-ins need), so what is "installed" is exactly what the case says.
const root = mkdtempSync(join(tmpdir(), 'vagrant-host-'));
let n = 0;
function fakePath(tools: Record<string, string>): string {
  const dir = join(root, `bin${n++}`);
  mkdirSync(dir);
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(dir, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return `${dir}:/nonexistent`;
}
const OK = 'exit 0';
const BOX_LIST = 'echo "1,,box-name,bento/ubuntu-24.04"; echo "1,,box-provider,virtualbox"; echo "1,,box-version,202508.03.0"';
const dockerWith = (info: string, imageInspect = 'echo sha256:1') => `case "$1" in info) ${info} ;; image) ${imageInspect} ;; *) exit 0 ;; esac`;
const DOCKER_OK = dockerWith('echo 27.5.1');
const DOCKER_DOWN = dockerWith('echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1');
const BASE = { vagrant: `case "$1" in box) ${BOX_LIST} ;; plugin) echo "1,,plugin-name,vagrant-libvirt" ;; esac`, ssh: OK, 'ssh-keygen': OK };
const imageRef = async () => 'ebpf-lab/vagrant-debian:0123456789ab';
const settings = (extra: Record<string, string> = {}) => configOf(extra).vagrant;

test('everything present with a working docker: ok, docker provider, the image ref is kept', async () => {
  const h = await checkHost({ path: fakePath({ ...BASE, docker: DOCKER_OK }), settings: settings(), imageRef });
  assert.deepEqual(h, { provider: 'docker', image: 'ebpf-lab/vagrant-debian:0123456789ab', report: { ok: true, missing: [] } });
});

test('no vagrant: "apt-get install vagrant"', async () => {
  const h = await checkHost({ path: fakePath({ ssh: OK, 'ssh-keygen': OK, docker: DOCKER_OK }), settings: settings(), imageRef });
  assert.deepEqual(h.report.missing, [{ what: 'vagrant is not installed', fix: 'apt-get install vagrant' }]);
});

test('docker CLI without a daemon (and no VirtualBox): docker provider, fix is scripts/start-dockerd.sh', async () => {
  const h = await checkHost({ path: fakePath({ ...BASE, docker: DOCKER_DOWN }), settings: settings(), imageRef });
  assert.equal(h.provider, 'docker');
  assert.deepEqual(h.report.missing, [{ what: 'the docker daemon is not reachable', fix: 'start dockerd: scripts/start-dockerd.sh' }]);
});

test('docker socket not permitted: says so, with the docker group fix', async () => {
  const h = await checkHost({
    path: fakePath({ ...BASE, docker: dockerWith('echo "permission denied while trying to connect to the Docker daemon socket" >&2; exit 1') }),
    settings: settings(),
    imageRef,
  });
  assert.deepEqual(
    h.report.missing.map((m) => m.fix),
    [FIXES.dockerPerm],
  );
});

test('the lab image is not built: names the ref, fix is the build script', async () => {
  const h = await checkHost({
    path: fakePath({ ...BASE, docker: dockerWith('echo 27.5.1', 'echo "Error: No such image" >&2; exit 1') }),
    settings: settings(),
    imageRef,
  });
  assert.deepEqual(h.report.missing, [
    { what: 'the lab image ebpf-lab/vagrant-debian:0123456789ab is not built', fix: 'build it: scripts/build-vagrant-image.sh' },
  ]);
});

test('no docker and no VirtualBox: the VirtualBox default, whose fix also offers docker', async () => {
  const h = await checkHost({ path: fakePath(BASE), settings: settings(), imageRef });
  assert.equal(h.provider, 'virtualbox');
  assert.deepEqual(
    h.report.missing.map((m) => m.what),
    ['VirtualBox is not installed (no VBoxManage on PATH)'],
  );
  assert.match(h.report.missing[0]!.fix, /apt-get install docker\.io/);
});

test('VirtualBox present, docker absent: virtualbox is chosen; the pinned box is found in `vagrant box list`', async () => {
  const path = fakePath({ ...BASE, VBoxManage: OK });
  assert.equal(await chooseProvider({ path, settings: settings() }), 'virtualbox');
  assert.deepEqual((await checkHost({ path, settings: settings() })).report, { ok: true, missing: [] });
});

test('box missing for the chosen provider: the exact `vagrant box add`', async () => {
  const h = await checkHost({
    path: fakePath({ ...BASE, VBoxManage: OK }),
    settings: settings({ ELAB_VAGRANT_PROVIDER: 'virtualbox', LAB_BOX_VERSION: '1.0' }),
  });
  assert.deepEqual(h.report.missing, [
    { what: 'the box bento/ubuntu-24.04 1.0 for virtualbox is not added', fix: 'vagrant box add bento/ubuntu-24.04 --box-version 1.0 --provider virtualbox' },
  ]);
});

test("libvirt: our box not added, libvirtd not started: the build script and libvirt-host.sh; Vagrant's home is not /root", async () => {
  const h = await checkHost({
    path: fakePath({ ...BASE, virsh: 'echo "error: failed to connect to the hypervisor" >&2; exit 1' }),
    settings: settings({ ELAB_VAGRANT_PROVIDER: 'libvirt', LAB_BOX: 'elab-box-0123456789ab', LAB_CACHE_DIR: '/var/cache/x' }),
  });
  assert.deepEqual(
    h.report.missing.map((m) => m.fix),
    [FIXES.ownBox, FIXES.libvirtd],
  );
  assert.match(h.report.missing[1]!.what, /failed to connect to the hypervisor/);
  assert.equal(h.vagrantHome, '/var/cache/x/vagrant.d');
  const added = fakePath({
    ...BASE,
    virsh: OK,
    vagrant: `[ "$VAGRANT_HOME" = /var/cache/x/vagrant.d ] && echo "1,,box-name,elab-box-0123456789ab" && echo "1,,box-provider,libvirt" && echo "1,,box-version,0"; echo "1,,plugin-name,vagrant-libvirt"`,
  });
  const ok = await checkHost({
    path: added,
    settings: settings({ ELAB_VAGRANT_PROVIDER: 'libvirt', LAB_BOX: 'elab-box-0123456789ab', LAB_CACHE_DIR: '/var/cache/x' }),
  });
  assert.deepEqual(ok.report, { ok: true, missing: [] });
  assert.equal(ok.box, 'elab-box-0123456789ab');
});

test('libvirt without virsh or the plugin: both fixes', async () => {
  const path = fakePath({
    ssh: OK,
    'ssh-keygen': OK,
    vagrant: `case "$1" in box) echo "1,,box-name,bento/ubuntu-24.04"; echo "1,,box-provider,libvirt"; echo "1,,box-version,202508.03.0" ;; esac`,
  });
  const h = await checkHost({ path, settings: settings({ ELAB_VAGRANT_PROVIDER: 'libvirt', LAB_BOX: 'bento/ubuntu-24.04' }) });
  assert.deepEqual(
    h.report.missing.map((m) => m.fix),
    [FIXES.virsh, FIXES.libvirtPlugin],
  );
});

test('ELAB_VAGRANT_PROVIDER with an unknown provider is a usage error naming the variable and the providers', () => {
  assert.throws(
    () => settings({ ELAB_VAGRANT_PROVIDER: 'hyperv' }),
    (e: Error & { exitCode: number; hint: string }) =>
      e.exitCode === 2 && /ELAB_VAGRANT_PROVIDER="hyperv": use one of: docker, virtualbox, libvirt/.test(e.message) && /fix or unset/.test(e.hint),
  );
});

test('parseBoxList reads name/provider/version triples', () => {
  assert.deepEqual(parseBoxList('1,,box-name,a\n1,,box-provider,libvirt\n1,,box-version,1\n1,,box-name,b\n1,,box-provider,virtualbox\n1,,box-version,2\n'), [
    { name: 'a', provider: 'libvirt', version: '1' },
    { name: 'b', provider: 'virtualbox', version: '2' },
  ]);
});
