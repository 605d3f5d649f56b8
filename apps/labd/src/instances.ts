import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { config } from './config.ts';
import type { InstanceState } from './drivers/types.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** 6 lower-case base-36 chars: short enough that `el<id>` + a suffix fits interface names. */
export function newInstanceId(): string {
  // Web Crypto, loaded on first use: importing node:crypto costs every `lab list` ~10 ms.
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(6));
  let id = '';
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return /^[a-z]/.test(id) ? id : `x${id.slice(1)}`;
}

export const instancesDir = () => join(config().stateDir, 'instances');
export const instanceDir = (id: string) => join(instancesDir(), id);

/**
 * Host-wide index of instance id → state file, in /run (gone at reboot, like the namespaces).
 * Several state dirs can coexist (tests, a second labd); the index lets `lab reap` in one of them
 * tell another's live lab from a leftover.
 */
const REGISTRY = '/run/ebpf-lab/instances';

export function saveState(state: InstanceState): void {
  const dir = instanceDir(state.id);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, 'state.json.tmp');
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, join(dir, 'state.json'));
  try {
    mkdirSync(REGISTRY, { recursive: true });
    writeFileSync(join(REGISTRY, state.id), join(dir, 'state.json'));
  } catch {
    /* not root: the netns driver cannot run anyway */
  }
}

function readState(file: string): InstanceState | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as InstanceState;
  } catch {
    return null;
  }
}

export function loadState(id: string): InstanceState | null {
  return readState(join(instanceDir(id), 'state.json'));
}

/** The state of an instance made under any state dir on this host. */
export function loadStateAnywhere(id: string): InstanceState | null {
  const local = loadState(id);
  if (local) return local;
  try {
    return readState(readFileSync(join(REGISTRY, id), 'utf8').trim());
  } catch {
    return null;
  }
}

/** Lists a state file kept outside instances/ (the vm driver's warm pool) in the host-wide index. */
export function registerStateFile(id: string, file: string): void {
  try {
    mkdirSync(REGISTRY, { recursive: true });
    writeFileSync(join(REGISTRY, id), file);
  } catch {
    /* not root: nothing else can see it anyway */
  }
}

export function unregister(id: string): void {
  rmSync(join(REGISTRY, id), { force: true });
}

export function listStateIds(): string[] {
  if (!existsSync(instancesDir())) return [];
  return readdirSync(instancesDir()).filter((n) => /^[a-z0-9]{6}$/.test(n));
}
