import type { HelmReleaseSpec } from '@ebpf-lab/lab-spec';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { instanceIdOf, prefixOf } from '../lab-names.ts';

// Pure argument and name construction for the kind driver, so all of it is unit-tested
// without docker, kind or helm.

/** `el<id>`: the same prefix the netns driver uses, so `lab reap` recognises leftovers. */
export const clusterName = (id: string) => prefixOf(id);

/** Instance ids of lab clusters among `kind get clusters` lines (other clusters are not ours). */
export function labClusterIds(lines: string): string[] {
  const ids = new Set<string>();
  for (const l of lines.split('\n')) {
    const id = instanceIdOf(l.trim(), 'none');
    if (id) ids.add(id);
  }
  return [...ids].sort();
}

/** The placeholder a lab's Helm values and kind config may use for the per-instance cluster name. */
export const CLUSTER_TOKEN = '${KIND_CLUSTER}';

export const renderTokens = (text: string, cluster: string) => text.split(CLUSTER_TOKEN).join(cluster);

/**
 * The lab's kind config with this instance's name. The name goes into the file as well as on the
 * command line so that the file in the workdir describes the cluster that actually runs.
 */
export function renderKindConfig(text: string, cluster: string): string {
  const doc = parseYaml(renderTokens(text, cluster)) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object' || doc.kind !== 'Cluster') throw new Error('is not a kind Cluster config (kind: Cluster)');
  return stringify({ ...doc, name: cluster });
}

/** How many nodes a kind config asks for (kind's default is one control plane). */
export function kindNodeCount(text: string): number {
  const doc = parseYaml(text) as { nodes?: unknown[] } | null;
  return Array.isArray(doc?.nodes) && doc.nodes.length > 0 ? doc.nodes.length : 1;
}

/** Whether a kind config leaves the cluster without a CNI (the lab installs one). */
export function disablesDefaultCni(text: string): boolean {
  const doc = parseYaml(text) as { networking?: { disableDefaultCNI?: unknown } } | null;
  return doc?.networking?.disableDefaultCNI === true;
}

export function kindCreateArgs(o: { cluster: string; config: string; kubeconfig: string; nodeImage?: string }): string[] {
  return ['create', 'cluster', '--name', o.cluster, '--config', o.config, '--kubeconfig', o.kubeconfig, ...(o.nodeImage ? ['--image', o.nodeImage] : [])];
}

export const kindDeleteArgs = (cluster: string) => ['delete', 'cluster', '--name', cluster];

export const kindLoadArgs = (cluster: string, images: string[]) => ['load', 'docker-image', '--name', cluster, ...images];

/** Where `helm pull` leaves a chart: <name>-<version>.tgz. */
export function chartFileName(rel: Pick<HelmReleaseSpec, 'chart' | 'version'>): string {
  const name = rel.chart.split('/').pop()!;
  return `${name}-${rel.version ?? 'latest'}.tgz`;
}

export function helmPullArgs(rel: HelmReleaseSpec, dest: string): string[] {
  return ['pull', rel.chart, ...(rel.repo ? ['--repo', rel.repo] : []), ...(rel.version ? ['--version', rel.version] : []), '--destination', dest];
}

/** `chartRef` is the pulled .tgz (or a local chart folder): installs then work without the network. */
export function helmInstallArgs(rel: HelmReleaseSpec, o: { chartRef: string; values: string[]; kubeconfig: string }): string[] {
  return [
    'upgrade',
    '--install',
    rel.release,
    o.chartRef,
    '--namespace',
    rel.namespace,
    '--create-namespace',
    ...o.values.flatMap((v) => ['--values', v]),
    '--kubeconfig',
    o.kubeconfig,
  ];
}

export function helmTemplateArgs(rel: HelmReleaseSpec, o: { chartRef: string; values: string[] }): string[] {
  return ['template', rel.release, o.chartRef, '--namespace', rel.namespace, ...o.values.flatMap((v) => ['--values', v])];
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The script the driver leaves in the workdir for an `install: lesson` release (solve.sh runs it). */
export function helmScript(rel: HelmReleaseSpec, args: string[]): string {
  return [
    '#!/bin/bash',
    `# Written by the kind driver from lab.yaml (kind.helm release "${rel.release}").`,
    'set -eu',
    `exec helm ${args.map(q).join(' ')}`,
    '',
  ].join('\n');
}

/** Every container image a rendered chart (helm template output) refers to. */
export function imagesInManifests(text: string): string[] {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
      return;
    }
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'containers' || k === 'initContainers') && Array.isArray(x)) {
        for (const c of x) if (c && typeof (c as { image?: unknown }).image === 'string') found.add((c as { image: string }).image);
      } else visit(x);
    }
  };
  for (const d of parseAllDocuments(text)) visit(d.toJSON());
  return [...found].sort();
}

/**
 * Resolves the `node` of an exec or shell. `host` (the default) is the learner's workstation side
 * with kubectl and helm; a kind node by full or short name (`worker2`) is its container;
 * `pod/<ns>/<pod>[/<container>]` is a container in the cluster.
 */
export type Target = { kind: 'host' } | { kind: 'node'; container: string } | { kind: 'pod'; namespace: string; pod: string; container?: string };

export function resolveTarget(node: string | undefined, cluster: string, nodes: string[]): Target | { error: string } {
  if (node === undefined || node === '' || node === 'host') return { kind: 'host' };
  if (node.startsWith('pod/')) {
    const [, namespace, pod, container, ...extra] = node.split('/');
    if (!namespace || !pod || extra.length) return { error: `"${node}" is not pod/<namespace>/<pod>[/<container>]` };
    return { kind: 'pod', namespace, pod, container: container || undefined };
  }
  const full = nodes.includes(node) ? node : nodes.includes(`${cluster}-${node}`) ? `${cluster}-${node}` : null;
  if (!full || full === 'host') return { error: `no node "${node}"; nodes: ${nodes.join(', ')}, or pod/<namespace>/<pod>[/<container>]` };
  return { kind: 'node', container: full };
}

export function dockerExecArgs(container: string, cmd: string, o: { env?: Record<string, string>; interactive?: boolean; tty?: boolean } = {}): string[] {
  return [
    'exec',
    ...(o.interactive === false ? [] : ['-i']),
    ...(o.tty ? ['-t'] : []),
    ...Object.entries(o.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    container,
    'bash',
    '-c',
    cmd,
  ];
}

/** Control plane first, then workers in name order: the order `lab shell --node` lists them. */
export function sortNodes(names: string[]): string[] {
  const rank = (n: string) => (n.endsWith('-control-plane') ? 0 : n.includes('-control-plane') ? 1 : 2);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * Host pids that belong to the node containers, from /proc/<pid>/cgroup lines (cgroup v1 or v2,
 * cgroupfs or systemd driver all put the full container id in the path).
 */
export function pidsOfContainers(procCgroups: Iterable<[number, string]>, containerIds: string[]): Set<number> {
  const out = new Set<number>();
  if (containerIds.length === 0) return out;
  for (const [pid, text] of procCgroups) if (containerIds.some((id) => text.includes(id))) out.add(pid);
  return out;
}
