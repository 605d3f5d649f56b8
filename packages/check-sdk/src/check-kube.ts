import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { CheckContext } from './check-contract.ts';

/**
 * What checks of kind labs read from the cluster, as plain data. The kubeconfig comes through the
 * check contract (`ctx.readFile`, confined to the workdir), so a check needs nothing but its ctx;
 * execs go through `ctx.exec` with `node: 'pod/<ns>/<pod>/<container>'`, which the kind driver
 * runs through the API's exec subresource.
 */
export interface Cluster {
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
}

export const KUBECONFIG_PATH = '.kube/config';

/** null when the lab has no kubeconfig: the cluster was never created (a check error, not a fail). */
export async function clusterFor(ctx: Pick<CheckContext, 'readFile'>): Promise<Cluster | null> {
  const text = await ctx.readFile(KUBECONFIG_PATH);
  if (!text) return null;
  const kc = new KubeConfig();
  kc.loadFromString(text);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

const notFound = (e: unknown) => (e as { code?: number }).code === 404;

export interface NodeInfo {
  name: string;
  ready: boolean;
  internalIp?: string;
  podCidr?: string;
}

export async function nodes(c: Cluster): Promise<NodeInfo[]> {
  return (await c.core.listNode()).items.map((n) => ({
    name: n.metadata?.name ?? '',
    ready: !!n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
    internalIp: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
    podCidr: n.spec?.podCIDR,
  }));
}

export interface WorkloadInfo {
  exists: boolean;
  desired: number;
  ready: number;
}

/** Ready counts of a DaemonSet (pods up to date and ready) or Deployment; exists=false on 404. */
export async function workload(c: Cluster, kind: 'DaemonSet' | 'Deployment', namespace: string, name: string): Promise<WorkloadInfo> {
  try {
    if (kind === 'DaemonSet') {
      const ds = await c.apps.readNamespacedDaemonSet({ name, namespace });
      return {
        exists: true,
        desired: ds.status?.desiredNumberScheduled ?? 0,
        ready: Math.min(ds.status?.numberReady ?? 0, ds.status?.updatedNumberScheduled ?? 0),
      };
    }
    const d = await c.apps.readNamespacedDeployment({ name, namespace });
    return { exists: true, desired: d.spec?.replicas ?? 1, ready: d.status?.readyReplicas ?? 0 };
  } catch (e) {
    if (notFound(e)) return { exists: false, desired: 0, ready: 0 };
    throw e;
  }
}

export const isReady = (w: WorkloadInfo) => w.exists && w.desired > 0 && w.ready >= w.desired;
export const describe = (w: WorkloadInfo) => (w.exists ? `${w.ready}/${w.desired} ready` : 'not found');

export interface PodInfo {
  name: string;
  namespace: string;
  node?: string;
  ip?: string;
  phase?: string;
  ready: boolean;
  labels: Record<string, string>;
}

export async function pods(c: Cluster, namespace: string, labelSelector?: string): Promise<PodInfo[]> {
  return (await c.core.listNamespacedPod({ namespace, labelSelector })).items.map((p) => ({
    name: p.metadata?.name ?? '',
    namespace,
    node: p.spec?.nodeName,
    ip: p.status?.podIP,
    phase: p.status?.phase,
    ready: !!p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') && !p.metadata?.deletionTimestamp,
    labels: p.metadata?.labels ?? {},
  }));
}

/** The first ready pod matching a selector, or null. */
export async function readyPod(c: Cluster, namespace: string, labelSelector: string): Promise<PodInfo | null> {
  return (await pods(c, namespace, labelSelector)).find((p) => p.ready) ?? null;
}

/** CiliumNetworkPolicies of a namespace as plain objects; [] when the CRD is not installed yet. */
export async function ciliumNetworkPolicies(c: Cluster, namespace: string): Promise<{ metadata?: { name?: string }; spec?: unknown; specs?: unknown[] }[]> {
  try {
    const list = (await c.custom.listNamespacedCustomObject({ group: 'cilium.io', version: 'v2', namespace, plural: 'ciliumnetworkpolicies' })) as {
      items?: [];
    };
    return list.items ?? [];
  } catch (e) {
    if (notFound(e)) return [];
    throw e;
  }
}

/** `pod/<ns>/<pod>/<container>`: the exec target the kind driver routes through the API. */
export const podTarget = (p: Pick<PodInfo, 'namespace' | 'name'>, container?: string) => `pod/${p.namespace}/${p.name}${container ? `/${container}` : ''}`;
