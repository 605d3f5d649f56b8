import { which } from '../../host-caps.ts';
import { run } from '../../proc.ts';
import type { CapabilityReport } from '../types.ts';

/** One line of the kind driver's doctor table: like `lab doctor`, each failing item carries its fix. */
export interface KindHostItem {
  name: 'docker' | 'dockerd' | 'kind' | 'helm' | 'kubectl' | 'images';
  ok: boolean;
  detail: string;
  fix?: string;
}

// The exact fixes; tests pin them. No Debian 12 package provides kind, helm or kubectl.
export const FIXES = {
  docker: 'apt-get install docker.io',
  dockerd: 'start the docker daemon: systemctl start docker (or run dockerd in the background), then run lab as root or as a member of the docker group',
  dockerPerm: 'run lab as root, or add your user to the docker group: usermod -aG docker $USER (then log in again)',
  kind: 'install kind: go install sigs.k8s.io/kind@latest (needs Go), or put the release binary on PATH, see https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
  helm: 'install Helm 3: put the release binary on PATH, see https://helm.sh/docs/intro/install/',
  kubectl: 'install kubectl: put the release binary on PATH, see https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/',
} as const;

export const MISSING_IMAGE_FIX = (images: string[]) =>
  `on a machine that can pull images: docker pull ${images.join(' && docker pull ')} && docker save -o kind-images.tar ${images.join(' ')}; copy kind-images.tar here and run: docker load -i kind-images.tar`;

export interface HostCheckDeps {
  /** PATH to look for the tools on (tests pass one without them). */
  path?: string;
  /** Runs `docker <args>`; injectable so tests need no daemon. */
  docker?: (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
}

function dockerRunner(deps: HostCheckDeps) {
  if (deps.docker) return deps.docker;
  const env = deps.path === undefined ? process.env : { ...process.env, PATH: deps.path };
  return (args: string[]) => run('docker', args, { timeoutMs: 20_000, env });
}

/** Checks docker (CLI and daemon), kind, helm and kubectl. Cheap enough for every `up`. */
export async function kindHostItems(deps: HostCheckDeps = {}): Promise<KindHostItem[]> {
  const items: KindHostItem[] = [];
  const at = (t: string) => which(t, deps.path);
  const docker = at('docker');
  items.push({ name: 'docker', ok: !!docker, detail: docker ?? 'docker CLI not found on PATH', fix: docker ? undefined : FIXES.docker });
  if (docker) {
    const info = await dockerRunner(deps)(['info', '--format', '{{.ServerVersion}}']);
    const denied = /permission denied/i.test(info.stderr);
    const ok = info.code === 0 && info.stdout.trim() !== '';
    items.push({
      name: 'dockerd',
      ok,
      detail: ok
        ? `docker engine ${info.stdout.trim()} reachable`
        : denied
          ? 'permission denied on the docker socket'
          : `docker daemon not reachable (${(info.stderr.trim().split('\n').pop() ?? '').slice(0, 160)})`,
      fix: ok ? undefined : denied ? FIXES.dockerPerm : FIXES.dockerd,
    });
  }
  for (const t of ['kind', 'helm', 'kubectl'] as const) {
    const p = at(t);
    items.push({ name: t, ok: !!p, detail: p ?? `${t} not found on PATH`, fix: p ? undefined : FIXES[t] });
  }
  return items;
}

/** Images not in the local docker image store. */
export async function missingLocalImages(images: string[], deps: HostCheckDeps = {}): Promise<string[]> {
  const docker = dockerRunner(deps);
  const missing: string[] = [];
  for (const img of images) if ((await docker(['image', 'inspect', '--format', '{{.Id}}', img])).code !== 0) missing.push(img);
  return missing;
}

export function toCapabilityReport(items: KindHostItem[]): CapabilityReport {
  const missing = items.filter((i) => !i.ok).map((i) => ({ what: i.name === 'dockerd' ? i.detail : `${i.name}: ${i.detail}`, fix: i.fix ?? '' }));
  return { ok: missing.length === 0, missing };
}

/**
 * The hint `lab up` prints when the kind driver cannot run: each fix on its own line, the one
 * thing no command here fixes (image access), and the lab that runs on this machine instead.
 */
export function cannotRunHint(missing: { what: string; fix: string }[], alternative?: string): string {
  const lines = missing.map((m) => `- ${m.fix}`);
  lines.push('The kind lab also needs a machine that can pull container images (the kind node image, Cilium, the demo apps) at least once.');
  if (alternative) lines.push(`Meanwhile, this machine can run the same ideas without docker or a cluster: lab up ${alternative}`);
  return lines.join('\n');
}

/** One line naming everything missing, e.g. for a test that skips. */
export function summarizeMissing(items: KindHostItem[], missingImages: string[] = []): string {
  const parts: string[] = items.filter((i) => !i.ok).map((i) => (i.name === 'dockerd' ? 'a reachable docker daemon' : i.name));
  if (missingImages.length) parts.push(`images ${missingImages.join(', ')}`);
  return parts.join(', ');
}
