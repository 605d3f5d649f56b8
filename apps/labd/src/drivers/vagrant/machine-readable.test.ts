import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchErrors, fixForUpFailure, parseMachineLine, summarizeVagrantError, UpTracker } from './machine-readable.ts';

// Lines as vagrant 2.3.4 printed them for `vagrant up --provider docker --machine-readable` here.
const GOOD_UP = String.raw`1795456603,default,metadata,provider,docker
1795456603,,ui,info,Bringing machine 'default' up with 'docker' provider...
1795456603,default,action,up,start
1795456603,default,ui,info,==> default: Creating and configuring docker networks...
1795456604,default,ui,output,==> default: Creating the container...
1795456604,default,ui,detail,    default:   Name: ebpf-lab-vxtest1
1795456604,default,ui,detail,    default:  \n    default: Container created: 4ab95db6c11b9276
1795456604,default,ui,output,==> default: Starting container...
1795456604,default,ui,output,==> default: Waiting for machine to boot. This may take a few minutes...
1795456605,default,ui,detail,    default: SSH address: 172.17.0.2:22
1795456605,default,ui,output,==> default: Machine booted and ready!
1795456609,default,action,up,end`;

const STOPPED = String.raw`1795456717,default,ui,output,==> default: Starting container...
1795456718,default,ui,output,==> default: Waiting for container to enter "running" state...
1795456723,,error-exit,VagrantPlugins::DockerProvider::Errors::StateStopped,The container started either never left the "stopped" state or\nvery quickly reverted to the "stopped" state. This is usually\nbecause the container didn't execute a command that kept it running%!(VAGRANT_COMMA)\nand usually indicates a misconfiguration.\n\nIf you meant for this container to not remain running%!(VAGRANT_COMMA) please\nset the Docker provider configuration "remains_running" to "false":`;

const BAD_ARGS = String.raw`1795456733,default,ui,output,==> default: Creating the container...
1795456733,,error-exit,VagrantPlugins::DockerProvider::Errors::ExecuteError,A Docker command executed by Vagrant didn't complete successfully!\nThe command run along with the output from the command is shown\nbelow.\n\nCommand: ["docker"%!(VAGRANT_COMMA) "run"%!(VAGRANT_COMMA) "--bogus-flag"]\n\nStderr: unknown flag: --bogus-flag\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nStdout: `;

test('a machine-readable line: commas and newlines inside text are unescaped', () => {
  const ml = parseMachineLine('1,default,ui,info,a%!(VAGRANT_COMMA) b\\nc');
  assert.deepEqual(ml, { time: 1, target: 'default', type: 'ui', data: ['info', 'a, b\nc'] });
  assert.equal(parseMachineLine('Vagrant failed to initialize'), null);
});

test('a good docker up reports its steps in order with growing fractions', () => {
  const t = new UpTracker();
  const events = GOOD_UP.split('\n').flatMap((l) => t.feed(l));
  assert.deepEqual(
    events.map((e) => e.message),
    [
      "starting Vagrant's docker provider",
      'configuring docker networks',
      'creating the container',
      'starting container 4ab95db6c11b9276',
      'starting the container',
      'waiting for the machine to boot (SSH)',
      'logging in over SSH at 172.17.0.2:22',
      'finishing the machine setup (hostname, folders)',
    ],
  );
  const fr = events.map((e) => e.fraction!);
  assert.deepEqual(
    fr,
    [...fr].sort((a, b) => a - b),
    'fractions never go back',
  );
  assert.equal(t.errorClass, undefined);
});

test("a container that stops at once: the phase, vagrant's first paragraph, and a fix naming LAB_DOCKER_ARGS", () => {
  const t = new UpTracker();
  for (const l of STOPPED.split('\n')) t.feed(l);
  assert.equal(t.phase, 'waiting for the container to keep running');
  assert.match(t.errorClass!, /StateStopped$/);
  assert.equal(
    t.vagrantSaid(),
    'The container started either never left the "stopped" state or very quickly reverted to the "stopped" state. This is usually because the container didn\'t execute a command that kept it running, and usually indicates a misconfiguration.',
  );
  assert.match(fixForUpFailure(t.errorClass, t.errorMessage!, 'docker'), /LAB_DOCKER_ARGS/);
});

test("docker rejecting its arguments: docker's own stderr line is what the user sees", () => {
  const t = new UpTracker();
  for (const l of BAD_ARGS.split('\n')) t.feed(l);
  assert.equal(t.phase, 'creating the container');
  assert.equal(t.vagrantSaid(), 'docker said: unknown flag: --bogus-flag');
  assert.match(fixForUpFailure(t.errorClass, t.errorMessage!, 'docker'), /check LAB_DOCKER_ARGS/);
});

test('fixes for the other known failures', () => {
  assert.equal(
    fixForUpFailure(undefined, "Unable to find image 'ebpf-lab/x:1' locally", 'docker'),
    'build the lab image first: scripts/build-vagrant-image.sh',
  );
  assert.match(fixForUpFailure(undefined, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock', 'docker'), /scripts\/start-dockerd\.sh/);
  assert.match(fixForUpFailure(undefined, 'vagrant/Vagrantfile: environment variable LAB_CPUS="x" is invalid', 'docker'), /LAB_CPUS/);
  assert.match(
    fixForUpFailure('Vagrant::Errors::BoxNotFound', 'box could not be found', 'libvirt'),
    /vagrant box add bento\/ubuntu-24\.04 --box-version 202508\.03\.0 --provider libvirt/,
  );
  assert.match(fixForUpFailure('Vagrant::Errors::Whatever', 'something new', 'virtualbox'), /vagrant up --debug/);
});

test('without an error-exit line (a Vagrantfile abort), the plain output is the message', () => {
  const t = new UpTracker();
  t.feed('vagrant/Vagrantfile: environment variable LAB_CPUS="abc" is invalid (must match \\A[1-9][0-9]?\\z)');
  assert.match(t.vagrantSaid(), /LAB_CPUS="abc" is invalid/);
  assert.match(summarizeVagrantError('x'.repeat(500)), /…$/);
});

// Captured here: `vagrant up --provider libvirt --machine-readable` of a two-node cluster whose box
// does not exist (vagrant 2.3.4, vagrant-libvirt 0.11.2). Both machines fail in parallel threads,
// and vagrant's error-exit wraps their errors in BatchMultiError.
const PARALLEL = readFileSync(join(import.meta.dirname, 'testdata', 'libvirt-parallel-up-failed.txt'), 'utf8');

// A three-node up where k8s-w2 never answers SSH: lines in vagrant-libvirt's words, the error text
// vagrant 2.3.4's batch_multi_error + batch_vagrant_error + boot_timeout templates make.
const BOOT_TIMEOUT = String.raw`1796029000,k8s-s,ui,info,==> k8s-s: Waiting for machine to boot. This may take a few minutes...
1796029000,k8s-w2,ui,info,==> k8s-w2: Waiting for machine to boot. This may take a few minutes...
1796029010,k8s-s,ui,detail,    k8s-s: SSH address: 192.168.123.57:22
1796029020,k8s-s,ui,info,==> k8s-s: Machine booted and ready!
1796029300,k8s-w2,ui,error,==> k8s-w2: An error occurred. The error will be shown after all tasks complete.
1796029300,,error-exit,Vagrant::Errors::BatchMultiError,An error occurred while executing multiple actions in parallel.\nAny errors that occurred are shown below.\n\nAn error occurred while executing the action on the 'k8s-w2'\nmachine. Please handle this error then try again:\n\nTimed out while waiting for the machine to boot. This means that\nVagrant was unable to communicate with the guest machine within\nthe configured ("config.vm.boot_timeout" value) time period.\n\nIf you look above%!(VAGRANT_COMMA) you should be able to see the error(s) that\nVagrant had when attempting to connect to the machine. These errors\nare usually good hints as to what may be wrong.`;

test('a parallel up that failed: each machine\'s own error, not vagrant\'s "shown below" alone', () => {
  const t = new UpTracker();
  for (const l of PARALLEL.split('\n')) t.feed(l);
  assert.match(t.errorClass!, /BatchMultiError$/);
  const said = t.vagrantSaid();
  // Both machines failed the same way: named once together, with the cause after vagrant's lead-in.
  assert.match(said, /^k8s-a, k8s-b: An error occurred while downloading the remote file\. .* Couldn't open file \S*elab-box-000000000000$/);
  assert.doesNotMatch(said, /shown below/);
});

test('a parallel up where one VM timed out: the message and the phase name that VM, the fix says SSH', () => {
  const t = new UpTracker();
  for (const l of BOOT_TIMEOUT.split('\n')) t.feed(l);
  assert.equal(t.phase, 'finishing the machine setup (hostname, folders)', "the last line seen is k8s-s's");
  assert.equal(t.failedPhase(), 'waiting for the machine to boot (SSH) (k8s-w2)');
  t.feed('1796029001,k8s-w1,ui,info,==> k8s-w1: Waiting for domain to get an IP address...');
  assert.equal(t.phases.get('k8s-w1'), "waiting for the VM's DHCP lease");
  assert.equal(
    t.vagrantSaid(),
    'k8s-w2: Timed out while waiting for the machine to boot. This means that Vagrant was unable to communicate with the guest machine within the configured ("config.vm.boot_timeout" value) time period.',
  );
  assert.match(fixForUpFailure(t.errorClass, t.errorMessage!, 'libvirt'), /did not answer on SSH in time/);
});

test('many failed machines: bounded, and every machine still named', () => {
  const one = (m: string, i: number) =>
    `An error occurred while executing the action on the '${m}'\nmachine. Please handle this error then try again:\n\nerror ${i} ${'x'.repeat(2000)}`;
  const msg = `An error occurred while executing multiple actions in parallel.\nAny errors that occurred are shown below.\n\n${['a', 'b', 'c'].map(one).join('\n\n')}`;
  const said = summarizeVagrantError(msg);
  assert.ok(said.length < 2000, `bounded: ${said.length}`);
  for (const m of ['a: error 0', 'b: error 1', 'c: error 2']) assert.ok(said.includes(m), m);
  assert.deepEqual(
    batchErrors(msg).map((e) => e.machines),
    [['a'], ['b'], ['c']],
  );
});
