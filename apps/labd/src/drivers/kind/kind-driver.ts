import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HelmReleaseSpec, KindSpec, LoadedLab } from '@ebpf-lab/lab-spec';
import { config } from '../../config.ts';
import { LabError, missingError } from '../../errors.ts';
import { which } from '../../host-caps.ts';
import { instanceDir, listStateIds, loadState, loadStateAnywhere, newInstanceId, saveState } from '../../instances.ts';
import { run } from '../../proc.ts';
import { stageLabFiles } from '../stage-files.ts';
import type { CapabilityReport, InstanceState, LabDriver, LabInstance, OnProgress, ReapReport, Support } from '../types.ts';
import { orphanState, reapInstance } from '../reap.ts';
import {
  chartFileName,
  clusterName,
  disablesDefaultCni,
  helmInstallArgs,
  helmPullArgs,
  helmScript,
  helmTemplateArgs,
  imagesInManifests,
  kindCreateArgs,
  kindLoadArgs,
  kindNodeCount,
  labClusterIds,
  renderKindConfig,
  renderTokens,
  sortNodes,
} from './commands.ts';
import { cannotRunHint, kindHostItems, MISSING_IMAGE_FIX, missingLocalImages, toCapabilityReport, type HostCheckDeps } from './host-check.ts';
import { clusterContainers, destroyKindInstance, KindInstance, type KindDriverState } from './kind-instance.ts';
import { kubeConfigFrom, waitReady, type Workload } from './kube.ts';
import { diagnoseFailure, parseHelmLine, parseKindLine } from './progress.ts';
import { runLines } from './run-lines.ts';

const MIN = 60_000;

export class KindDriver implements LabDriver {
  readonly name = 'kind' as const;

  constructor(private readonly deps: HostCheckDeps = {}) {}

  async preflight(): Promise<CapabilityReport> {
    return toCapabilityReport(await kindHostItems(this.deps));
  }

  /** kind builds the cluster from the lab's kind: section, which it must have. */
  supports(lab: LoadedLab): Support {
    if (!lab.spec.kind)
      return {
        ok: false,
        why: `lab "${lab.spec.id}" has no kind: section in lab.yaml, which the kind driver builds its cluster from`,
        fix: 'add `kind: {}` (config defaults to kind.yaml) or choose another driver',
      };
    return { ok: true };
  }

  async up(lab: LoadedLab, onProgress: OnProgress = () => {}): Promise<LabInstance> {
    const spec = lab.spec.kind;
    if (!spec)
      throw new LabError(`${lab.dir}/lab.yaml: kind: missing; the kind driver needs at least \`kind: {}\` (config defaults to kind.yaml)`, undefined, 2);
    const pre = await this.preflight();
    if (!pre.ok)
      throw missingError(`the kind driver cannot run here: ${pre.missing.map((m) => m.what).join('; ')}`, cannotRunHint(pre.missing, spec.alternative));

    const id = newInstanceId();
    const cluster = clusterName(id);
    const workdir = join(instanceDir(id), 'work');
    mkdirSync(join(workdir, '.lab'), { recursive: true });
    const ds: KindDriverState = {
      cluster,
      kubeconfig: join(workdir, '.kube', 'config'),
      containers: [],
      labDir: lab.dir,
      phase: 'creating',
      creatorPid: process.pid,
    };
    const state: InstanceState = {
      id,
      labId: lab.spec.id,
      driver: 'kind',
      createdAt: new Date().toISOString(),
      workdir,
      nodes: ['host'],
      driverState: ds as unknown as Record<string, unknown>,
    };
    // Saved before anything exists, so a crash from here on leaves something `lab reap` can find.
    saveState(state);
    try {
      stageLabFiles(lab, workdir);
      const kindConfig = this.renderFiles(lab, spec, cluster, workdir);
      onProgress({ phase: 'charts', message: 'fetching Helm charts', fraction: 0.02 });
      const charts = await Promise.all(spec.helm.map((rel) => this.chartRef(lab, rel)));
      const values = spec.helm.map((rel) => rel.values.map((v) => join(workdir, v)));
      const images = await this.images(spec, charts, values, onProgress);

      const created = await runLines('kind', kindCreateArgs({ cluster, config: kindConfig, kubeconfig: ds.kubeconfig, nodeImage: spec.nodeImage }), {
        onLine: (l) => {
          const p = parseKindLine(l);
          if (p) onProgress(p);
        },
        timeoutMs: 15 * MIN,
      });
      if (created.code !== 0) this.fail('kind create cluster', created.stderr + created.stdout, spec.alternative);
      ds.containers = sortNodes(await clusterContainers(cluster));
      state.nodes = ['host', ...ds.containers];
      saveState(state);

      if (images.length) {
        onProgress({ phase: 'images', message: `loading ${images.length} image(s) into the nodes`, fraction: 0.5 });
        const loaded = await runLines('kind', kindLoadArgs(cluster, images), {
          onLine: (l) => {
            const p = parseKindLine(l);
            if (p) onProgress(p);
          },
          timeoutMs: 20 * MIN,
        });
        if (loaded.code !== 0) this.fail('kind load docker-image', loaded.stderr + loaded.stdout, spec.alternative);
      }

      const waitFor: Workload[] = [];
      for (const [i, rel] of spec.helm.entries()) {
        const args = helmInstallArgs(rel, { chartRef: charts[i]!, values: values[i]!, kubeconfig: ds.kubeconfig });
        if (rel.install === 'lesson') {
          writeFileSync(join(workdir, '.lab', `helm-${rel.release}.sh`), helmScript(rel, args), { mode: 0o755 });
          continue;
        }
        onProgress({ phase: 'helm', message: `helm install ${rel.release}`, fraction: 0.6 });
        const r = await runLines('helm', args, {
          onLine: (l) => {
            const p = parseHelmLine(l, rel.release);
            if (p) onProgress(p);
          },
          timeoutMs: 10 * MIN,
          env: this.helmEnv(),
        });
        if (r.code !== 0) this.fail(`helm install ${rel.release}`, r.stderr + r.stdout, spec.alternative);
        waitFor.push(...rel.waitFor.map((w) => ({ ...w, namespace: w.namespace ?? rel.namespace })));
      }

      // Without a default CNI the nodes stay NotReady until a CNI is installed: at `up` when a
      // release does it, otherwise by the learner (then only their registration is awaited).
      const rendered = readFileSync(kindConfig, 'utf8');
      const needNodesReady = !disablesDefaultCni(rendered) || spec.helm.some((r) => r.install === 'up');
      await waitReady(kubeConfigFrom(ds.kubeconfig), {
        nodes: kindNodeCount(rendered),
        needNodesReady,
        waitFor,
        deadline: Date.now() + spec.waitSeconds * 1000,
        onProgress,
        from: 0.65,
        to: 0.78,
      });
      ds.phase = 'ready';
      saveState(state);
      return new KindInstance(state);
    } catch (e) {
      await destroyKindInstance(state);
      throw e;
    }
  }

  /** Writes the per-instance kind config and Helm values into the workdir; returns the config's path. */
  private renderFiles(lab: LoadedLab, spec: KindSpec, cluster: string, workdir: string): string {
    const read = (rel: string, field: string) => {
      const p = join(lab.dir, rel);
      if (!existsSync(p)) throw new LabError(`${lab.dir}/lab.yaml: ${field}: "${rel}" does not exist in the lab folder`, undefined, 2);
      return readFileSync(p, 'utf8');
    };
    const out = join(workdir, '.lab', 'kind.yaml');
    try {
      writeFileSync(out, renderKindConfig(read(spec.config, 'kind.config'), cluster));
    } catch (e) {
      if (e instanceof LabError) throw e;
      throw new LabError(`${join(lab.dir, spec.config)}: ${(e as Error).message}`, undefined, 2);
    }
    spec.helm.forEach((rel, i) =>
      rel.values.forEach((v, j) => {
        const dest = join(workdir, v);
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, renderTokens(read(v, `kind.helm.${i}.values.${j}`), cluster));
      }),
    );
    return out;
  }

  private helmEnv(): NodeJS.ProcessEnv {
    return { ...process.env, HELM_CACHE_HOME: join(config().stateDir, 'cache', 'helm') };
  }

  /**
   * A chart from a repository is pulled once into the state dir's cache and installed from the
   * .tgz, so later `up`s (and the learner's own install) need no network for it.
   */
  private async chartRef(lab: LoadedLab, rel: HelmReleaseSpec): Promise<string> {
    if (!rel.repo) {
      const local = join(lab.dir, rel.chart);
      return existsSync(local) ? local : rel.chart;
    }
    const cache = join(config().stateDir, 'cache', 'charts');
    const file = join(cache, chartFileName(rel));
    if (rel.version && existsSync(file)) return file;
    mkdirSync(cache, { recursive: true });
    const r = await run('helm', helmPullArgs(rel, cache), { timeoutMs: 5 * MIN, env: this.helmEnv() });
    if (r.code !== 0) this.fail(`helm pull ${rel.chart} from ${rel.repo}`, r.stderr + r.stdout, lab.spec.kind?.alternative);
    if (!existsSync(file)) throw new Error(`helm pull ${rel.chart} did not leave ${file}`);
    return file;
  }

  /** The lab's images and those its charts use: present locally, or pulled now; else a clear error. */
  private async images(spec: KindSpec, charts: string[], values: string[][], onProgress: OnProgress): Promise<string[]> {
    const all = new Set(spec.images);
    for (const [i, rel] of spec.helm.entries()) {
      const r = await run('helm', helmTemplateArgs(rel, { chartRef: charts[i]!, values: values[i]! }), { timeoutMs: 2 * MIN, env: this.helmEnv() });
      if (r.code !== 0) throw new Error(`helm template ${rel.release} failed: ${r.stderr.trim().slice(-500)}`);
      for (const img of imagesInManifests(r.stdout)) all.add(img);
    }
    const images = [...all].sort();
    let missing = await missingLocalImages(images, this.deps);
    for (const img of missing) {
      onProgress({ phase: 'images', message: `pulling ${img}`, fraction: 0.04 });
      await run('docker', ['pull', img], { timeoutMs: 15 * MIN });
    }
    missing = await missingLocalImages(missing, this.deps);
    if (missing.length) {
      throw missingError(
        `container images missing and not pullable from here: ${missing.join(', ')}`,
        cannotRunHint([{ what: 'images', fix: MISSING_IMAGE_FIX(missing) }], spec.alternative),
      );
    }
    return images;
  }

  private fail(what: string, output: string, alternative?: string): never {
    const d = diagnoseFailure(output);
    if (d) throw missingError(`${what}: ${d.what}`, cannotRunHint([{ what: d.what, fix: d.fix }], alternative));
    throw new Error(`${what} failed: ${output.trim().split('\n').slice(-12).join('\n')}`);
  }

  attach(state: InstanceState): LabInstance {
    return new KindInstance(state);
  }

  /** Clusters named el<id> whose instance is gone (every one with `all`), and dead kind states. */
  async reap({ all }: { all: boolean }): Promise<ReapReport> {
    const ids = new Set<string>();
    if (which('kind')) {
      const r = await run('kind', ['get', 'clusters'], { timeoutMs: 30_000 });
      if (r.code === 0) labClusterIds(r.stdout).forEach((x) => ids.add(x));
    }
    const labels = await run('docker', ['ps', '-a', '--format', '{{.Label "io.x-k8s.kind.cluster"}}'], { timeoutMs: 30_000 });
    if (labels.code === 0) labClusterIds(labels.stdout).forEach((x) => ids.add(x));
    for (const id of listStateIds()) if (loadState(id)?.driver === 'kind') ids.add(id);

    const report: ReapReport = { removed: [], kept: [], errors: [] };
    for (const id of [...ids].sort()) {
      const state = loadStateAnywhere(id);
      if (state && state.driver !== 'kind') continue;
      const inst = state ? new KindInstance(state) : null;
      if (!all && inst && (await inst.alive())) {
        report.kept.push(id);
        continue;
      }
      const stub = state ?? orphanState(id, 'kind', join(instanceDir(id), 'work'), { cluster: clusterName(id) });
      await reapInstance(report, stub, destroyKindInstance);
    }
    return report;
  }
}
