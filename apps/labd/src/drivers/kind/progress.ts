import type { Progress } from '../types.ts';

/**
 * kind prints one line per phase: ` • Preparing nodes 📦 📦 📦  ...` when it starts, ` ✓ …` when it
 * ends, ` ✗ …` when it fails. These are the phases of `kind create cluster`, in order, with the
 * share of `up` each one ends at (creation is the first ~45% of an up).
 */
const KIND_PHASES: [RegExp, number][] = [
  [/^Ensuring node image/, 0.12],
  [/^Preparing nodes/, 0.2],
  [/^Writing configuration/, 0.22],
  [/^Starting control-plane/, 0.34],
  [/^Installing CNI/, 0.36],
  [/^Installing StorageClass/, 0.38],
  [/^Joining worker nodes/, 0.45],
  [/^Waiting ≤/, 0.45],
];

// Emoji and the variation selector kind decorates its phases with.
const DECORATION = /[\p{Extended_Pictographic}\u{FE0F}\u{200D}]/gu;

export function parseKindLine(raw: string): Progress | null {
  const line = raw.replace(DECORATION, '').replace(/\s+/g, ' ').trim();
  if (!line) return null;
  const m = /^([•✓✗]) (.+?)(?: \.\.\.)?$/.exec(line);
  if (m) {
    const [, mark, text] = m as unknown as [string, string, string];
    const fraction = KIND_PHASES.find(([re]) => re.test(text))?.[1];
    if (mark === '✗') return { phase: 'cluster', message: `failed: ${text}` };
    return { phase: 'cluster', message: mark === '✓' ? `${text}: done` : text, fraction: mark === '✓' ? fraction : undefined };
  }
  let c = /^Creating cluster "([^"]+)"/.exec(line);
  if (c) return { phase: 'cluster', message: `creating kind cluster ${c[1]}`, fraction: 0.05 };
  c = /^Image: "([^"]+)" with ID "[^"]*" not yet present on node "([^"]+)", loading/.exec(line);
  if (c) return { phase: 'images', message: `loading ${c[1]} onto ${c[2]}` };
  c = /^Image: "([^"]+)" with ID "[^"]*" found to be already present on all nodes/.exec(line);
  if (c) return { phase: 'images', message: `${c[1]} already on every node` };
  if (/^ERROR:/.test(line)) return { phase: 'cluster', message: line };
  return null;
}

/** helm says little without --debug; these lines are the ones worth passing on. */
export function parseHelmLine(raw: string, release: string): Progress | null {
  const line = raw.trim();
  let m = /^STATUS: (\S+)/.exec(line);
  if (m) return { phase: 'helm', message: `${release}: ${m[1]}` };
  m = /^Release "([^"]+)" has been upgraded/.exec(line);
  if (m) return { phase: 'helm', message: `${m[1]}: upgraded` };
  m = /^(Error: .*)$/.exec(line);
  if (m) return { phase: 'helm', message: `${release}: ${m[1]}` };
  m = /^(?:Pulled|Digest): (.*)$/.exec(line);
  if (m) return { phase: 'helm', message: `${release}: chart ${m[1]}` };
  return null;
}

/** Known failure outputs of kind and helm, turned into what to do about them. */
export function diagnoseFailure(output: string): { what: string; fix: string } | null {
  const pull = /failed to pull image "?([^"\s]+)"?/i.exec(output) ?? /Unable to find image '([^']+)' locally/.exec(output);
  if (pull) {
    return {
      what: `the kind node image ${pull[1]} is not on this machine and could not be pulled`,
      fix: `on a machine that can pull images: docker pull ${pull[1]} && docker save ${pull[1]} -o node.tar; here: docker load -i node.tar`,
    };
  }
  if (/node\(s\) already exist for a cluster with the name/.test(output)) {
    return { what: 'a kind cluster with this name already exists', fix: 'remove leftovers with: lab reap' };
  }
  if (/Cannot connect to the Docker daemon|permission denied while trying to connect to the Docker daemon/i.test(output)) {
    return { what: 'the docker daemon is not reachable', fix: 'start it (systemctl start docker) and run lab as root or as a member of the docker group' };
  }
  if (
    /(dial tcp|no such host|i\/o timeout|connection refused).*(helm|index\.yaml|\.tgz)|looks like "https?:\/\/[^"]+" is not a valid chart repository/i.test(
      output,
    )
  ) {
    return {
      what: 'the Helm chart repository cannot be reached',
      fix: 'run lab up once on a machine with access to the chart repository; the chart is cached in the state dir for later, offline, runs',
    };
  }
  return null;
}
