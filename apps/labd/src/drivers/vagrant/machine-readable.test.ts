import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixForUpFailure, parseMachineLine, summarizeVagrantError, UpTracker } from './machine-readable.ts';

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
