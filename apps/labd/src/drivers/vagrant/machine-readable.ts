import type { Progress } from '../types.ts';

/** One line of `vagrant … --machine-readable`: `time,target,type,data…`. */
export interface MachineLine {
  time: number;
  target: string;
  type: string;
  data: string[];
}

/** Vagrant escapes commas inside fields and newlines inside text; this undoes both. */
export function unescapeField(s: string): string {
  return s.replaceAll('%!(VAGRANT_COMMA)', ',').replaceAll('\\n', '\n').replaceAll('\\r', '\r');
}

export function parseMachineLine(raw: string): MachineLine | null {
  const parts = raw.replace(/\r?\n$/, '').split(',');
  if (parts.length < 3 || !/^\d+$/.test(parts[0]!)) return null;
  return { time: Number(parts[0]), target: parts[1]!, type: parts[2]!, data: parts.slice(3).map(unescapeField) };
}

/**
 * What `vagrant up` is doing, in order, with the share of the whole `lab up` each step starts at.
 * `phase` names the step in a failure message ("vagrant up failed while <phase>").
 */
const STEPS: { re: RegExp; phase: string | ((m: RegExpExecArray) => string); fraction: number }[] = [
  { re: /^Bringing machine '[^']+' up with '([\w-]+)' provider/, phase: (m) => `starting Vagrant's ${m[1]} provider`, fraction: 0.1 },
  { re: /^Importing base box '([^']+)'/, phase: (m) => `importing the box ${m[1]}`, fraction: 0.12 },
  { re: /^Creating and configuring docker networks/, phase: 'configuring docker networks', fraction: 0.12 },
  { re: /^Creating the container/, phase: 'creating the container', fraction: 0.15 },
  { re: /^Container created: (\w+)/, phase: (m) => `starting container ${m[1]}`, fraction: 0.25 },
  { re: /^Starting container/, phase: 'starting the container', fraction: 0.28 },
  { re: /^Waiting for container to enter "running" state/, phase: 'waiting for the container to keep running', fraction: 0.3 },
  { re: /^(?:Booting VM|Starting domain)/, phase: 'booting the VM', fraction: 0.3 },
  { re: /^Waiting for domain to get an IP address/, phase: "waiting for the VM's DHCP lease", fraction: 0.31 },
  { re: /^Waiting for machine to boot/, phase: 'waiting for the machine to boot (SSH)', fraction: 0.33 },
  { re: /^SSH address: (\S+)/, phase: (m) => `logging in over SSH at ${m[1]}`, fraction: 0.4 },
  { re: /^Inserting generated public key/, phase: 'replacing the insecure SSH key', fraction: 0.42 },
  { re: /^Machine booted and ready!/, phase: 'finishing the machine setup (hostname, folders)', fraction: 0.45 },
  { re: /^Setting hostname/, phase: 'setting the hostname', fraction: 0.46 },
  { re: /^(?:Rsyncing folder|Mounting shared folders)/, phase: 'syncing the repository to /lab', fraction: 0.48 },
  { re: /^Running provisioner: ([\w-]+)/, phase: (m) => `provisioning (${m[1]})`, fraction: 0.5 },
];

/** `==> default: text` and `    default: text` → `text`. */
function stripPrefix(line: string): string {
  return line.replace(/^\s*(?:==>\s*)?[\w.-]+:\s?/, '').trim();
}

/** The progress events a line of `vagrant up --machine-readable` carries (a detail line may hold several). */
export function progressOf(ml: MachineLine): Progress[] {
  if (ml.type !== 'ui' || ml.data[0] === 'error') return [];
  const out: Progress[] = [];
  for (const line of (ml.data[1] ?? '').split('\n')) {
    const text = stripPrefix(line);
    for (const s of STEPS) {
      const m = s.re.exec(text);
      if (!m) continue;
      out.push({ phase: 'machine', message: typeof s.phase === 'string' ? s.phase : s.phase(m), fraction: s.fraction });
      break;
    }
  }
  return out;
}

/** Follows one `vagrant up`: the step it is in, and the error it exits with. */
export class UpTracker {
  phase = 'starting vagrant';
  /** The step each machine of a multi-machine `up` is in (machine-readable target → phase). */
  readonly phases = new Map<string, string>();
  errorClass?: string;
  errorMessage?: string;
  /** Lines that are not machine-readable (a Vagrantfile `abort`, Ruby warnings). */
  readonly plain: string[] = [];

  feed(raw: string): Progress[] {
    const ml = parseMachineLine(raw);
    if (!ml) {
      if (raw.trim()) this.plain.push(raw.trim());
      if (this.plain.length > 40) this.plain.shift();
      return [];
    }
    if (ml.type === 'error-exit') {
      this.errorClass = ml.data[0];
      this.errorMessage = ml.data.slice(1).join(',');
      return [];
    }
    const ps = progressOf(ml);
    if (ps.length) {
      this.phase = ps[ps.length - 1]!.message;
      if (ml.target) this.phases.set(ml.target, this.phase);
    }
    return ps;
  }

  /**
   * The step the failure happened in: in a parallel up, the steps of the machines that failed
   * (the last line seen may be another machine's, which was fine).
   */
  failedPhase(): string {
    const failed = this.errorMessage ? batchErrors(this.errorMessage) : [];
    const named = failed.flatMap((f) => f.machines).filter((m) => this.phases.has(m));
    if (!named.length) return this.phase;
    const byPhase = new Map<string, string[]>();
    for (const m of named) byPhase.set(this.phases.get(m)!, [...(byPhase.get(this.phases.get(m)!) ?? []), m]);
    return [...byPhase].map(([p, ms]) => `${p} (${ms.join(', ')})`).join('; ');
  }

  /** Vagrant's own words, shortened to what matters (docker's stderr when vagrant ran docker). */
  vagrantSaid(): string {
    if (this.errorMessage) return summarizeVagrantError(this.errorMessage);
    return this.plain.slice(-3).join(' / ') || 'no error message';
  }
}

/** One machine's error inside a BatchMultiError, and the machines that failed with the same text. */
export interface BatchError {
  machines: string[];
  message: string;
}

// vagrant 2.3.4 templates/locales/en.yml: batch_multi_error wraps batch_vagrant_error /
// batch_unexpected_error, one per machine that failed, separated by blank lines.
const BATCH_HEAD = /^An error occurred while executing multiple actions in parallel\.\s+Any errors that occurred are shown below\./;
const MACHINE_HEAD =
  /An (?:unexpected )?error occurred (?:while|when) executing the action on the\s+'([^']+)'\s+machine\. Please (?:handle this error then try again|report this as a bug):[ \t]*\n/g;

/** The per-machine errors of vagrant's "error occurred while executing multiple actions in parallel". */
export function batchErrors(message: string): BatchError[] {
  if (!BATCH_HEAD.test(message.trim())) return [];
  const heads = [...message.matchAll(MACHINE_HEAD)];
  const out: BatchError[] = [];
  heads.forEach((h, i) => {
    const text = message.slice(h.index! + h[0].length, heads[i + 1]?.index ?? message.length).trim();
    const same = out.find((e) => e.message === text);
    if (same) same.machines.push(h[1]!);
    else out.push({ machines: [h[1]!], message: text });
  });
  return out;
}

/**
 * Vagrant's first paragraph, flattened and cut at `max`. A lead-in ("…is reproduced below.")
 * puts the cause in the paragraphs after it: those follow, as many as fit.
 */
function paragraphs(message: string, max: number): string {
  const paras = message
    .trim()
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  const first = paras[0] ?? '';
  let out = first.length > max ? `${first.slice(0, max)}…` : first;
  if (!/\bbelow\b/.test(first)) return out;
  for (const p of paras.slice(1)) {
    if (out.length + p.length + 1 > max) return `${out} ${p.slice(0, Math.max(0, max - out.length - 1))}…`;
    out += ` ${p}`;
  }
  return out;
}

export function summarizeVagrantError(message: string): string {
  const batch = batchErrors(message);
  // Vagrant's wrapper says only "shown below": the cause is each machine's own error.
  if (batch.length)
    return batch
      .slice(0, 6)
      .map((e) => `${e.machines.join(', ')}: ${summarizeOne(e.message, 600)}`)
      .join(' | ');
  return summarizeOne(message, 400);
}

function summarizeOne(message: string, max: number): string {
  const stderr = /^Stderr:\s*(.*(?:\n(?!\s*\n).*)*)/m.exec(message);
  if (stderr) {
    const first = stderr[1]!
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean);
    if (first) return `docker said: ${first}`;
  }
  return paragraphs(message, max);
}

/** What to do about a failed `vagrant up`, from vagrant's error class and message. */
export function fixForUpFailure(errorClass: string | undefined, message: string, provider: string): string {
  const m = message;
  if (/Unable to find image|pull access denied|repository does not exist|No such image/i.test(m))
    return 'build the lab image first: scripts/build-vagrant-image.sh';
  if (/Cannot connect to the Docker daemon/i.test(m)) return 'start the docker daemon: scripts/start-dockerd.sh';
  if (/unknown (?:shorthand )?flag|invalid argument|invalid reference format/i.test(m))
    return 'docker rejected its arguments: check LAB_DOCKER_ARGS (extra `docker run` arguments) in the environment';
  if (errorClass?.endsWith('StateStopped'))
    return 'the container exited right after it started (its log, if it wrote one, is above): check LAB_DOCKER_ARGS, and rebuild the image with scripts/build-vagrant-image.sh';
  if (/environment variable (LAB_\w+)/.test(m)) return `fix or unset ${/environment variable (LAB_\w+)/.exec(m)![1]} in the environment`;
  if (/BoxNotFound|box .* could not be found|was not found.*box/i.test(`${errorClass} ${m}`)) {
    return `add the box: vagrant box add bento/ubuntu-24.04 --box-version 202508.03.0 --provider ${provider}`;
  }
  if (/(?:SSH|boot).*(?:timeout|timed out)|BootTimeout|timed out while waiting for the machine to boot/i.test(`${errorClass} ${m}`))
    return `the machine did not answer on SSH in time: check that the ${provider} guest boots (vagrant up in vagrant/ shows its console)`;
  return `see vagrant's message above; to retry by hand: cd vagrant && VAGRANT_DEFAULT_PROVIDER=${provider} vagrant up --debug`;
}
