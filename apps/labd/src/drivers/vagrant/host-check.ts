import { join } from 'node:path';
import { config, VAGRANT_PROVIDERS, type VagrantSettings } from '../../config.ts';
import { which } from '../../host-caps.ts';
import { run, type RunResult } from '../../proc.ts';
import type { CapabilityReport } from '../types.ts';
import { parseMachineLine } from './machine-readable.ts';

export const PROVIDERS = VAGRANT_PROVIDERS;
export type Provider = (typeof PROVIDERS)[number];

/** The box vagrant/Vagrantfile pins for the VM providers (LAB_BOX / LAB_BOX_VERSION override both). */
export const PINNED_BOX = { name: 'bento/ubuntu-24.04', version: '202508.03.0' };

// The exact fixes; tests pin them.
export const FIXES = {
  vagrant: 'apt-get install vagrant',
  ssh: 'apt-get install openssh-client',
  docker: 'apt-get install docker.io',
  dockerd: 'start dockerd: scripts/start-dockerd.sh',
  dockerPerm: 'run lab as root, or add your user to the docker group: usermod -aG docker $USER (then log in again)',
  image: 'build it: scripts/build-vagrant-image.sh',
  virtualbox:
    'install VirtualBox (Debian 12 has no package: https://www.virtualbox.org/wiki/Linux_Downloads), or use docker: apt-get install docker.io and unset ELAB_VAGRANT_PROVIDER',
  virsh: 'apt-get install libvirt-daemon-system libvirt-clients',
  libvirtPlugin: 'apt-get install vagrant-libvirt',
  box: (provider: string, box = PINNED_BOX) => `vagrant box add ${box.name} --box-version ${box.version} --provider ${provider}`,
  ownBox: 'build and add it: sudo scripts/build-vm-image.sh --vagrant-box',
  libvirtd: 'start libvirtd and define the storage pool elab-pool: sudo scripts/libvirt-host.sh start',
} as const;

export interface HostDeps {
  /** PATH to look for tools on (tests pass one without them). */
  path?: string;
  /** ELAB_VAGRANT_PROVIDER, LAB_DOCKER_IMAGE, LAB_BOX… as parsed; the Config's unless given. */
  settings?: VagrantSettings;
  /** The docker image the lab runs; default: what scripts/build-vagrant-image.sh --print-ref says. */
  imageRef?: () => Promise<string>;
}

export interface VagrantHost {
  provider: Provider;
  /** docker provider: the image the container runs. */
  image?: string;
  /** libvirt provider: the box (ours unless LAB_BOX says otherwise) and Vagrant's home holding it. */
  box?: string;
  vagrantHome?: string;
  report: CapabilityReport;
}

type Runner = (cmd: string, args: string[], extraEnv?: NodeJS.ProcessEnv) => Promise<RunResult>;

function runner(deps: HostDeps): Runner {
  const env = deps.path === undefined ? process.env : { ...process.env, PATH: deps.path };
  return (cmd, args, extraEnv = {}) => run(cmd, args, { timeoutMs: 30_000, env: { ...env, VAGRANT_CHECKPOINT_DISABLE: '1', ...extraEnv } });
}

export async function defaultImageRef(s: VagrantSettings = config().vagrant): Promise<string> {
  if (s.dockerImage) return s.dockerImage;
  const script = join(config().repoRoot, 'scripts/build-vagrant-image.sh');
  const r = await run('/bin/bash', [script, '--print-ref'], { timeoutMs: 30_000 });
  const ref = r.stdout.trim();
  if (r.code !== 0 || !ref) throw new Error(`${script} --print-ref failed: ${(r.stderr || r.stdout).trim().slice(-300)}`);
  return ref;
}

/**
 * libvirt's QEMU (user libvirt-qemu) reads the kernel from the box, so Vagrant's home must not be
 * under /root: $VAGRANT_HOME, else $LAB_CACHE_DIR/vagrant.d (where scripts/vm/vagrant-box.sh adds it).
 */
export function libvirtVagrantHome(s: VagrantSettings = config().vagrant): string {
  return s.vagrantHome || join(s.cacheDir, 'vagrant.d');
}

/** The box of the vm driver's current image: elab-box-<tag> (scripts/build-vm-image.sh --vagrant-box). */
export async function ownBoxName(): Promise<string> {
  const script = join(config().repoRoot, 'scripts/build-vm-image.sh');
  const r = await run('/bin/bash', [script, '--vagrant-box', '--print-dir'], { timeoutMs: 30_000 });
  const name = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !/^elab-box-\w+$/.test(name)) throw new Error(`${script} --vagrant-box --print-dir failed: ${(r.stderr || r.stdout).trim().slice(-300)}`);
  return name;
}

async function dockerState(at: (t: string) => string | null, sh: Runner): Promise<'ok' | 'no-cli' | 'down' | 'denied'> {
  if (!at('docker')) return 'no-cli';
  const info = await sh('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (info.code === 0 && info.stdout.trim()) return 'ok';
  return /permission denied/i.test(info.stderr) ? 'denied' : 'down';
}

/**
 * ELAB_VAGRANT_PROVIDER when set; otherwise docker where it works, else VirtualBox where it is
 * installed, else docker again when only its daemon is missing (the fix is one command), else
 * VirtualBox.
 */
export async function chooseProvider(deps: HostDeps = {}): Promise<Provider> {
  const wanted = (deps.settings ?? config().vagrant).provider;
  if (wanted) return wanted;
  const at = (t: string) => which(t, deps.path);
  const docker = await dockerState(at, runner(deps));
  if (docker === 'ok') return 'docker';
  if (at('VBoxManage')) return 'virtualbox';
  return docker === 'no-cli' ? 'virtualbox' : 'docker';
}

/** `vagrant box list --machine-readable` → name/provider/version triples. */
export function parseBoxList(out: string): { name: string; provider: string; version: string }[] {
  const boxes: { name: string; provider: string; version: string }[] = [];
  for (const raw of out.split('\n')) {
    const ml = parseMachineLine(raw);
    if (!ml) continue;
    if (ml.type === 'box-name') boxes.push({ name: ml.data[0] ?? '', provider: '', version: '' });
    else if (ml.type === 'box-provider' && boxes.length) boxes[boxes.length - 1]!.provider = ml.data[0] ?? '';
    else if (ml.type === 'box-version' && boxes.length) boxes[boxes.length - 1]!.version = ml.data[0] ?? '';
  }
  return boxes;
}

/** Everything `up` needs on this host, each missing piece with the command that fixes it. */
export async function checkHost(deps: HostDeps = {}): Promise<VagrantHost> {
  const s = deps.settings ?? config().vagrant;
  const at = (t: string) => which(t, deps.path);
  const sh = runner(deps);
  const missing: CapabilityReport['missing'] = [];
  const provider = await chooseProvider(deps);
  const hasVagrant = !!at('vagrant');
  if (!hasVagrant) missing.push({ what: 'vagrant is not installed', fix: FIXES.vagrant });
  for (const t of ['ssh', 'ssh-keygen']) if (!at(t)) missing.push({ what: `${t} is not installed (exec goes over one SSH connection)`, fix: FIXES.ssh });
  let image: string | undefined;

  if (provider === 'docker') {
    const docker = await dockerState(at, sh);
    if (docker === 'no-cli') missing.push({ what: 'docker is not installed (the docker provider runs the lab machine as a container)', fix: FIXES.docker });
    else if (docker === 'down') missing.push({ what: 'the docker daemon is not reachable', fix: FIXES.dockerd });
    else if (docker === 'denied') missing.push({ what: 'permission denied on the docker socket', fix: FIXES.dockerPerm });
    else {
      image = await (deps.imageRef ?? (() => defaultImageRef(s)))();
      const found = await sh('docker', ['image', 'inspect', '--format', '{{.Id}}', image]);
      if (found.code !== 0) missing.push({ what: `the lab image ${image} is not built`, fix: FIXES.image });
    }
  } else {
    if (provider === 'virtualbox' && !at('VBoxManage')) missing.push({ what: 'VirtualBox is not installed (no VBoxManage on PATH)', fix: FIXES.virtualbox });
    if (provider === 'libvirt' && !at('virsh')) missing.push({ what: 'libvirt is not installed (no virsh on PATH)', fix: FIXES.virsh });
    if (hasVagrant) {
      if (provider === 'libvirt') {
        const home = libvirtVagrantHome(s);
        // At once: each vagrant call is a Ruby start-up of seconds (tens on a loaded host), and every `lab up` asks.
        const [plugins, box, boxList, pool] = await Promise.all([
          sh('vagrant', ['plugin', 'list', '--machine-readable']),
          s.box || ownBoxName(),
          sh('vagrant', ['box', 'list', '--machine-readable'], { VAGRANT_HOME: home }),
          sh('virsh', ['-c', 'qemu:///system', 'pool-info', 'elab-pool']),
        ]);
        if (!plugins.stdout.includes('vagrant-libvirt')) missing.push({ what: 'the vagrant-libvirt plugin is not installed', fix: FIXES.libvirtPlugin });
        const list = parseBoxList(boxList.stdout);
        if (!list.some((b) => b.name === box && b.provider === 'libvirt')) {
          missing.push({
            what: `the box ${box} for libvirt is not added to ${home}`,
            fix: box.startsWith('elab-box-') ? FIXES.ownBox : `VAGRANT_HOME=${home} vagrant box add ${box} --provider libvirt`,
          });
        }
        if (at('virsh') && pool.code !== 0)
          missing.push({
            what: `libvirtd does not answer, or has no storage pool elab-pool (${(pool.stderr || pool.stdout).trim().split('\n').pop()})`,
            fix: FIXES.libvirtd,
          });
        return { provider, box, vagrantHome: home, report: { ok: missing.length === 0, missing } };
      }
      const box = { name: s.box || PINNED_BOX.name, version: s.boxVersion || PINNED_BOX.version };
      const list = parseBoxList((await sh('vagrant', ['box', 'list', '--machine-readable'])).stdout);
      if (!list.some((b) => b.name === box.name && b.version === box.version && b.provider === provider)) {
        missing.push({ what: `the box ${box.name} ${box.version} for ${provider} is not added`, fix: FIXES.box(provider, box) });
      }
    }
  }
  return { provider, image, report: { ok: missing.length === 0, missing } };
}
