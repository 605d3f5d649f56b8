import { Writable } from 'node:stream';
import { AppsV1Api, CoreV1Api, Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import type { LabExecResult, OnProgress } from '../types.ts';

// Everything the kind driver asks the cluster goes through @kubernetes/client-node: no kubectl
// output is parsed on the driver's side.

export function kubeConfigFrom(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** Exit code of a pod exec from its final V1Status (the API reports non-zero exits as a Failure). */
export function exitCodeFromStatus(s: V1Status | null | undefined): number {
  if (!s) return 1;
  if (s.status === 'Success') return 0;
  const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
  const n = Number(cause?.message);
  if (s.reason === 'NonZeroExitCode' && Number.isInteger(n)) return n;
  return 126;
}

class Collect extends Writable {
  text = '';
  constructor(private readonly max: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString('utf8');
    if (this.text.length > this.max) this.text = this.text.slice(this.text.length - this.max);
    cb();
  }
}

/**
 * Runs `sh -c cmd` in a pod container through the API's exec subresource. stdin is fed through
 * the command line (base64) rather than the exec stream, which cannot signal end-of-input on
 * every API server version.
 */
export async function podExec(
  kc: KubeConfig,
  t: { namespace: string; pod: string; container?: string },
  cmd: string,
  o: { timeoutMs?: number; stdin?: string; signal?: AbortSignal } = {},
): Promise<LabExecResult> {
  const started = performance.now();
  const script = o.stdin === undefined ? cmd : `printf %s '${Buffer.from(o.stdin).toString('base64')}' | base64 -d | sh -c '${cmd.replace(/'/g, `'\\''`)}'`;
  const out = new Collect(4 * 1024 * 1024);
  const err = new Collect(4 * 1024 * 1024);
  let container = t.container;
  if (!container) {
    const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: t.pod, namespace: t.namespace });
    container = pod.spec?.containers[0]?.name ?? '';
  }
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    let ws: { close(): void } | undefined;
    const finish = (code: number, extraErr = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve({ code, stdout: out.text, stderr: err.text + extraErr, ms: performance.now() - started, timedOut });
    };
    const onAbort = () => {
      timedOut = true;
      ws?.close();
      finish(124);
    };
    const timer = o.timeoutMs ? setTimeout(onAbort, o.timeoutMs) : undefined;
    o.signal?.addEventListener('abort', onAbort, { once: true });
    new Exec(kc)
      .exec(t.namespace, t.pod, container!, ['sh', '-c', script], out, err, null, false, (s) => {
        const code = exitCodeFromStatus(s);
        finish(code, code === 126 && s.message ? `${s.message}\n` : '');
      })
      .then(
        (socket) => {
          ws = socket;
          socket.on('close', () => setTimeout(() => finish(1, 'the exec stream closed without an exit status\n'), 50));
          if (settled) socket.close();
        },
        (e: Error) => finish(126, `exec in pod ${t.namespace}/${t.pod}: ${e.message}\n`),
      );
  });
}

export interface Readiness {
  ready: boolean;
  summary: string;
  notReady: string[];
}

export type Workload = { kind: 'DaemonSet' | 'Deployment'; name: string; namespace: string };

/** Nodes (Ready or just registered) and the releases' workloads, as one progress line. */
export async function readiness(kc: KubeConfig, o: { nodes: number; needNodesReady: boolean; waitFor: Workload[] }): Promise<Readiness> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const nodes = (await core.listNode()).items;
  const readyNodes = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  const parts = [o.needNodesReady ? `nodes ${readyNodes}/${o.nodes} Ready` : `nodes ${nodes.length}/${o.nodes} registered`];
  const notReady: string[] = [];
  if (o.needNodesReady ? readyNodes < o.nodes : nodes.length < o.nodes) notReady.push('nodes');
  for (const w of o.waitFor) {
    const namespace = w.namespace;
    let have = 0;
    let want = 0;
    try {
      if (w.kind === 'DaemonSet') {
        const ds = await apps.readNamespacedDaemonSet({ name: w.name, namespace });
        want = ds.status?.desiredNumberScheduled ?? 0;
        have = Math.min(ds.status?.numberReady ?? 0, ds.status?.updatedNumberScheduled ?? 0);
      } else {
        const d = await apps.readNamespacedDeployment({ name: w.name, namespace });
        want = d.spec?.replicas ?? 1;
        have = d.status?.readyReplicas ?? 0;
      }
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    parts.push(`${w.name} ${have}/${want || '?'}`);
    if (want === 0 || have < want) notReady.push(`${w.kind} ${namespace}/${w.name}`);
  }
  return { ready: notReady.length === 0, summary: parts.join(', '), notReady };
}

/** Why pods are not running, for the error when a wait runs out (image pulls are the usual cause). */
export async function stuckPods(kc: KubeConfig): Promise<string[]> {
  const pods = (await kc.makeApiClient(CoreV1Api).listPodForAllNamespaces()).items;
  const out: string[] = [];
  for (const p of pods) {
    for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
      const w = cs.state?.waiting;
      if (w?.reason && w.reason !== 'PodInitializing')
        out.push(`${p.metadata?.namespace}/${p.metadata?.name} ${cs.name}: ${w.reason}${/Pull/.test(w.reason) ? ` (${cs.image})` : ''}`);
    }
    if (p.status?.phase === 'Pending' && !p.status.containerStatuses?.length) {
      const why = p.status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message;
      if (why) out.push(`${p.metadata?.namespace}/${p.metadata?.name}: ${why}`);
    }
  }
  return out;
}

/** Polls until ready, reporting each change of the summary; throws with the stuck pods at the deadline. */
export async function waitReady(
  kc: KubeConfig,
  o: Parameters<typeof readiness>[1] & { deadline: number; onProgress: OnProgress; from: number; to: number; pollMs?: number },
): Promise<void> {
  let last = '';
  const t0 = Date.now();
  for (;;) {
    let r: Readiness | null = null;
    try {
      r = await readiness(kc, o);
    } catch (e) {
      r = { ready: false, summary: `API server not answering yet (${(e as Error).message.split('\n')[0]})`, notReady: ['api'] };
    }
    if (r.summary !== last) {
      const share = Math.min(1, (Date.now() - t0) / Math.max(1, o.deadline - t0));
      o.onProgress({ phase: 'wait', message: r.summary, fraction: r.ready ? o.to : o.from + (o.to - o.from) * share * 0.9 });
      last = r.summary;
    }
    if (r.ready) return;
    if (Date.now() > o.deadline) {
      const stuck = await stuckPods(kc).catch(() => []);
      throw new Error(
        `the cluster was not ready in time: ${r.notReady.join(', ')} not ready (${r.summary})${stuck.length ? `; pods: ${stuck.slice(0, 8).join('; ')}` : ''}`,
      );
    }
    await new Promise((res) => setTimeout(res, o.pollMs ?? 2000));
  }
}
