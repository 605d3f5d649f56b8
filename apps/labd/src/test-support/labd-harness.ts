/**
 * Test harness: runs the real labd as a child process on a private state dir and a port the
 * kernel picks (--port 0, read back from the "listening on" line), and speaks its HTTP and
 * terminal protocols the way the web does.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFrame, encodeAck, encodeText, Op, type Frame } from '@ebpf-lab/protocol';
import { after, before } from 'node:test';
import WebSocket from 'ws';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const labdBin = join(repoRoot, 'apps/labd/bin/labd.mjs');
const labBin = join(repoRoot, 'apps/labd/bin/lab.mjs');
export const WEB_ORIGIN = 'http://127.0.0.1:3000';
export const isRoot = process.getuid?.() === 0;

export interface LabdProcess {
  url: string;
  port: number;
  stateDir: string;
  serviceToken: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

export const tempDir = () => mkdtempSync(join(tmpdir(), 'elab-labd-test-'));

/**
 * The tests run several learners and classes on the netns driver, which labd serves only with
 * --trust-learners (core/policy.ts); `trustLearners: false` runs labd with its default policy.
 */
export async function startLabd(opts: { stateDir?: string; args?: string[]; env?: NodeJS.ProcessEnv; trustLearners?: boolean } = {}): Promise<LabdProcess> {
  const stateDir = opts.stateDir ?? tempDir();
  const trust = opts.trustLearners === false ? [] : ['--trust-learners'];
  const proc = spawn(process.execPath, [labdBin, '--port', '0', '--state-dir', stateDir, ...trust, ...(opts.args ?? [])], {
    // Every answer is checked against packages/api: one that breaks the contract is a 500 naming the field.
    env: { ...process.env, ELAB_CHECK_RESPONSES: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`labd did not start in 20s:\n${out}`)), 20_000);
    const look = () => {
      const m = /labd listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', look);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`labd exited ${code} before listening:\n${out}`));
    });
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    url,
    port: Number(new URL(url).port),
    stateDir,
    proc,
    output: () => out,
    serviceToken: readFileSync(join(stateDir, 'service-token'), 'utf8').trim(),
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Takes down every lab a test's state dir holds, whatever the test got to. */
export function downAllLabs(stateDir: string): void {
  const dir = join(stateDir, 'instances');
  if (!existsSync(dir)) return;
  const ids = readdirSync(dir).filter((n) => /^[a-z0-9]{6}$/.test(n));
  if (ids.length) spawnSync(process.execPath, [labBin, 'down', ...ids], { env: { ...process.env, ELAB_STATE_DIR: stateDir }, timeout: 60_000 });
}

export interface Reply {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export async function call(
  url: string,
  method: string,
  path: string,
  token?: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const init: RequestInit = { method, headers: h };
  if (body !== undefined) init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** A learner with a token for one lab, made through the service endpoints. */
export async function learner(labd: LabdProcess, name: string, labId = 'hello-ebpf'): Promise<{ learnerId: string; token: string }> {
  const l = await call(labd.url, 'POST', '/v1/learners', labd.serviceToken, { displayName: name });
  if (l.status !== 201) throw new Error(`POST /v1/learners: ${l.status} ${l.text}`);
  const t = await call(labd.url, 'POST', '/v1/tokens', labd.serviceToken, { learnerId: l.body.learnerId, labId });
  if (t.status !== 201) throw new Error(`POST /v1/tokens: ${t.status} ${t.text}`);
  return { learnerId: l.body.learnerId, token: t.body.token };
}

/** Starts the learner's lab and waits for ready on the SSE stream; returns the instance id. */
export async function upLab(labd: LabdProcess, token: string): Promise<string> {
  const r = await call(labd.url, 'POST', '/v1/lab', token);
  if (r.status !== 200) throw new Error(`POST /v1/lab: ${r.status} ${r.text}`);
  const events = await call(labd.url, 'GET', '/v1/lab/events', token);
  if (!events.text.includes('"phase":"ready"')) throw new Error(`lab did not become ready:\n${events.text}`);
  const v = await call(labd.url, 'GET', '/v1/lab', token);
  return v.body.instanceId as string;
}

/** A terminal socket that records frames, acks output the way xterm's client does, and can wait for text. */
export class Term {
  frames: Frame[] = [];
  closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  constructor(
    readonly ws: WebSocket,
    ack = true,
  ) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (d: Buffer) => {
      const f = decodeFrame(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      this.frames.push(f);
      if (ack && f.op === Op.Output) ws.send(encodeAck(f.text.length));
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((r) =>
      ws.on('close', (code, reason) => {
        r({ code, reason: reason.toString() });
        for (const w of this.waiters.splice(0)) w();
      }),
    );
  }

  static open(url: string, query: string, opts: { origin?: string | null; token?: string; ack?: boolean } = {}): Promise<Term> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/terminal${query}`, {
      headers,
      ...(opts.origin === null ? {} : { origin: opts.origin ?? WEB_ORIGIN }),
    });
    const t = new Term(ws, opts.ack ?? true);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(t));
      ws.once('error', reject);
    });
  }

  text(op: number = Op.Output): string {
    return this.frames
      .filter((f) => f.op === op)
      .map((f) => ('text' in f ? f.text : ''))
      .join('');
  }
  type(s: string): void {
    this.ws.send(encodeText(Op.Input, s));
  }

  async waitFor(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline || this.ws.readyState === WebSocket.CLOSED) throw new Error(`timed out waiting for ${what}; output so far:\n${this.text()}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

/** One labd shared by a test file, learners Ann and Bob, and Ann's lab running (filled in by `before`). */
export interface TwoLearners {
  labd: LabdProcess;
  ann: { learnerId: string; token: string };
  bob: { learnerId: string; token: string };
  annInstance: string;
}

/** Registers the file's before/after hooks for a TwoLearners fixture: after, labd stops and its labs go down. */
export function twoLearnersWithLab(skip: string | false): TwoLearners {
  const fx = {} as TwoLearners;
  before(async () => {
    if (skip) return;
    fx.labd = await startLabd();
    fx.ann = await learner(fx.labd, 'Ann');
    fx.bob = await learner(fx.labd, 'Bob');
    fx.annInstance = await upLab(fx.labd, fx.ann.token);
  });
  after(async () => {
    if (skip) return;
    await fx.labd.stop();
    downAllLabs(fx.labd.stateDir);
  });
  return fx;
}

/** A file's labd on one state dir that its tests start and restart; after, the last one stops and the dir's labs go down. */
export function labdOnStateDir(skip: string | false): { stateDir: string; start(env?: NodeJS.ProcessEnv): Promise<LabdProcess> } {
  const stateDir = tempDir();
  let last: LabdProcess | undefined;
  after(async () => {
    if (skip) return;
    await last?.stop();
    downAllLabs(stateDir);
  });
  return { stateDir, start: async (env?: NodeJS.ProcessEnv) => (last = await startLabd({ stateDir, env })) };
}
