import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadLab } from '@ebpf-lab/lab-spec';
import type { LabError } from '../../errors.ts';
import { saveState } from '../../instances.ts';
import type { InstanceState } from '../types.ts';
import { processAlive } from './vagrant-cli.ts';
import { VagrantDriver } from './vagrant-driver.ts';

// The driver's orchestration of a failing `up` and of `reap`, against stand-ins for vagrant and
// docker that print what the real ones printed here (vagrant 2.3.4, docker 20.10). A real
// machine is vagrant-integration.test.ts's job.
const root = mkdtempSync(join(tmpdir(), 'vagrant-driver-'));
const bin = join(root, 'bin');
const fake = join(root, 'fake');
mkdirSync(bin);
mkdirSync(join(fake, 'containers'), { recursive: true });
process.env.ELAB_STATE_DIR = join(root, 'state');
process.env.FAKE_DIR = fake;
process.env.PATH = `${bin}:${process.env.PATH}`;
delete process.env.ELAB_VAGRANT_PROVIDER;
const lab = loadLab(join(fileURLToPath(import.meta.url), '../../../../../../labs/hello-ebpf'));

const TOOLS: Record<string, string> = {
  // Containers are files named after the container, holding the instance label.
  docker: String.raw`
case "$1" in
  info) echo 20.10.24 ;;
  image) [ -z "$FAKE_NO_IMAGE" ] ;;
  ps) inst=$(printf '%s\n' "$@" | sed -n 's/^label=org.ebpf-lab.instance=//p')
      for f in "$FAKE_DIR"/containers/*; do [ -f "$f" ] || continue
        [ -z "$inst" ] || [ "$(cat "$f")" = "$inst" ] && printf '%s\t%s\n' "$(basename "$f")" "$(cat "$f")"; done; true ;;
  rm) shift 3; for c in "$@"; do rm -f "$FAKE_DIR/containers/$c"; echo "$c" >> "$FAKE_DIR/removed"; done ;;
  logs) echo "ebpf-lab-init: exec /bin/false" ;;
  inspect) exit 1 ;;
  *) echo "fake docker: $*" >&2; exit 2 ;;
esac`,
  vagrant: String.raw`
echo "vagrant $1 LAB_INSTANCE_ID=$LAB_INSTANCE_ID" >> "$FAKE_DIR/vagrant.calls"
case "$1" in
  up) mkdir -p "$VAGRANT_DOTFILE_PATH/machines/$LAB_MACHINE_NAME/docker"
      echo "1,,ui,info,Bringing machine '$LAB_MACHINE_NAME' up with 'docker' provider..."
      echo "2,$LAB_MACHINE_NAME,ui,output,==> $LAB_MACHINE_NAME: Creating the container..."
      echo "$LAB_INSTANCE_ID" > "$FAKE_DIR/containers/ebpf-lab-$LAB_INSTANCE_ID"
      echo "3,$LAB_MACHINE_NAME,ui,output,==> $LAB_MACHINE_NAME: Starting container..."
      echo "4,$LAB_MACHINE_NAME,ui,output,==> $LAB_MACHINE_NAME: Waiting for container to enter \"running\" state..."
      echo '5,,error-exit,VagrantPlugins::DockerProvider::Errors::StateStopped,The container started either never left the "stopped" state or\nvery quickly reverted to the "stopped" state.\n\nIf you meant for this container to not remain running%!(VAGRANT_COMMA) please'
      exit 1 ;;
  hang) sleep 600 ;;
  destroy) exit 0 ;;
esac`,
};
for (const [name, body] of Object.entries(TOOLS)) {
  writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}
const driver = new VagrantDriver({ imageRef: async () => 'ebpf-lab/vagrant-debian:test' });
const instances = () => (existsSync(join(root, 'state/instances')) ? readdirSync(join(root, 'state/instances')) : []);
const containers = () => readdirSync(join(fake, 'containers'));

test('the lab image missing: exit code 3, the ref and the build script named, nothing created', async () => {
  process.env.FAKE_NO_IMAGE = '1';
  try {
    await assert.rejects(driver.up(lab), (e: LabError) => {
      assert.equal(e.exitCode, 3);
      assert.match(e.message, /the lab image ebpf-lab\/vagrant-debian:test is not built/);
      assert.match(e.hint!, /build it: scripts\/build-vagrant-image\.sh/);
      return true;
    });
  } finally {
    delete process.env.FAKE_NO_IMAGE;
  }
  assert.deepEqual(instances(), []);
});

test("vagrant up failing halfway: phase, vagrant's message, container log and fix; the half-made container is removed", async () => {
  const seen: string[] = [];
  await assert.rejects(
    driver.up(lab, (p) => seen.push(p.message)),
    (e: LabError) => {
      assert.match(
        e.message,
        /^lab up \(vagrant, docker\) failed while waiting for the container to keep running: vagrant up: The container started either never left the "stopped" state/,
      );
      assert.match(e.message, /container log \(last lines\):\nebpf-lab-init: exec \/bin\/false/);
      assert.match(e.hint!, /check LAB_DOCKER_ARGS/);
      assert.match(e.hint!, /The half-made machine was removed\. Vagrant's full output: .*\/logs\/vagrant-up-[a-z0-9]{6}\.log/);
      return true;
    },
  );
  assert.ok(seen.includes('creating the container'), `progress: ${seen.join(', ')}`);
  assert.deepEqual(containers(), [], 'no container left');
  assert.deepEqual(instances(), [], 'no instance dir left');
  const calls = readFileSync(join(fake, 'vagrant.calls'), 'utf8');
  assert.match(calls, /vagrant up LAB_INSTANCE_ID=([a-z0-9]{6})\nvagrant destroy LAB_INSTANCE_ID=\1\n/);
});

function stateOf(id: string, over: Record<string, unknown>): InstanceState {
  const hostDir = join(root, 'state/instances', id);
  mkdirSync(join(hostDir, 'vagrant/machines/lab'), { recursive: true });
  return {
    id,
    labId: 'hello-ebpf',
    driver: 'vagrant',
    createdAt: new Date().toISOString(),
    workdir: '/srv/lab',
    nodes: ['lab'],
    driverState: {
      provider: 'docker',
      machine: 'lab',
      hostDir,
      sshConfig: join(hostDir, 'ssh-config'),
      controlPath: join(hostDir, 'ssh.sock'),
      key: join(hostDir, 'id_ed25519'),
      phase: 'creating',
      creatorPid: process.pid,
      ...over,
    },
  };
}

test("reap: leftovers go (a container without state, a dead creator's instance and its orphaned vagrant up); a lab being made stays", async () => {
  writeFileSync(join(fake, 'containers', 'ebpf-lab-zzz111'), 'zzz111');
  writeFileSync(join(fake, 'containers', 'ebpf-lab-default'), 'default');
  const orphan = spawn(join(bin, 'vagrant'), ['hang'], { detached: true, stdio: 'ignore' });
  const dead = spawn('true');
  await new Promise((r) => dead.on('exit', r));
  saveState(stateOf('dead01', { creatorPid: dead.pid, upPid: orphan.pid }));
  writeFileSync(join(fake, 'containers', 'ebpf-lab-dead01'), 'dead01');
  saveState(stateOf('live01', {}));
  const report = await driver.reap({ all: false });
  assert.deepEqual(report, { removed: ['dead01', 'zzz111'], kept: ['live01'], errors: [] });
  assert.deepEqual(containers(), ['ebpf-lab-default'], 'a hand-made machine (instance "default") is not labd\'s');
  assert.deepEqual(instances(), ['live01']);
  for (let i = 0; i < 300 && processAlive(orphan.pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(processAlive(orphan.pid), false, 'the orphaned vagrant up was killed (waited up to 30 s)');

  assert.deepEqual(await driver.reap({ all: true }), { removed: ['live01'], kept: [], errors: [] });
  assert.deepEqual(instances(), []);
});
