import { checkError, type CheckContext, type CheckOutcome } from '@ebpf-lab/check-sdk';
import { clusterFor, podTarget, type Cluster, type PodInfo } from '@ebpf-lab/check-sdk/kube';

// The check SDK's Kubernetes helpers, plus what this lab's
// checks share: running one check against the API, and curl from a pod.
export * from '@ebpf-lab/check-sdk/kube';

/**
 * Runs a check with an API client. No kubeconfig or an API that does not answer is the lab's
 * problem, never the learner's, so both come back as `error`.
 */
export async function withCluster(ctx: CheckContext, fn: (c: Cluster) => Promise<CheckOutcome>): Promise<CheckOutcome> {
  let c: Cluster | null;
  try {
    c = await clusterFor(ctx);
  } catch (e) {
    return checkError(`the lab's kubeconfig cannot be read: ${(e as Error).message}`);
  }
  if (!c) return checkError('this lab has no kubeconfig (.kube/config): its kind cluster was not created');
  try {
    return await fn(c);
  } catch (e) {
    const err = e as { code?: number; message?: string };
    return checkError(`the Kubernetes API did not answer as expected${err.code ? ` (HTTP ${err.code})` : ''}: ${(err.message ?? String(e)).split('\n')[0]}`);
  }
}

export interface Http {
  code: string;
  body: string;
  curlExit: number;
}

/** One HTTP request from a pod's first container; code "000" when nothing answered within maxS. */
export async function curlFrom(ctx: CheckContext, pod: PodInfo, method: string, url: string, maxS = 3): Promise<Http> {
  const r = await ctx.exec(`curl -s -m ${maxS} -X ${method} -w '\\n%{http_code}' ${url}`, { node: podTarget(pod), timeoutMs: (maxS + 10) * 1000 });
  const lines = r.stdout.replace(/\n$/, '').split('\n');
  const code = /^\d{3}$/.test(lines.at(-1) ?? '') ? lines.pop()! : '000';
  return { code, body: lines.join('\n').trim(), curlExit: r.code };
}

export const DEATHSTAR = 'http://deathstar.default.svc.cluster.local';

type Doc = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string }; spec?: unknown; specs?: unknown[] };

/** A list through the generic API; a resource the cluster does not serve (404) is an empty list. */
async function list(c: Cluster, group: string, version: string, plural: string, kind: string, namespace?: string): Promise<Doc[]> {
  try {
    const r = (
      namespace
        ? await c.custom.listNamespacedCustomObject({ group, version, namespace, plural })
        : await c.custom.listClusterCustomObject({ group, version, plural })
    ) as { items?: Doc[] };
    // List items carry no kind; the evaluator needs it to tell a NetworkPolicy from a CNP.
    return (r.items ?? []).map((i) => ({ ...i, kind, metadata: { namespace, ...i.metadata } }));
  } catch (e) {
    if ((e as { code?: number }).code === 404) return [];
    throw e;
  }
}

/** Every policy that can apply to pods in `namespace`: CNPs there, cluster-wide CNPs, and NetworkPolicies there. */
export async function policiesFor(c: Cluster, namespace: string): Promise<Doc[]> {
  const [cnp, ccnp, knp] = await Promise.all([
    list(c, 'cilium.io', 'v2', 'ciliumnetworkpolicies', 'CiliumNetworkPolicy', namespace),
    list(c, 'cilium.io', 'v2', 'ciliumclusterwidenetworkpolicies', 'CiliumClusterwideNetworkPolicy'),
    list(c, 'networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', namespace),
  ]);
  return [...cnp, ...ccnp, ...knp];
}

/** `curl` exit 28: nothing answered in time, which is how a policy drop looks from the client. */
export const dropped = (h: Http) => h.curlExit === 28;
export const shown = (h: Http) =>
  h.code === '000' ? (h.curlExit === 28 ? 'dropped (no answer)' : `curl exit ${h.curlExit}`) : `${h.code} ${h.body.split('\n')[0]!.slice(0, 60)}`;
