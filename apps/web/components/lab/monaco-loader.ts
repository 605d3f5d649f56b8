import type * as Monaco from 'monaco-editor';

type AmdRequire = ((deps: string[], ok: () => void, fail: (e: unknown) => void) => void) & { config(c: unknown): void };
type MonacoWindow = { monaco?: typeof Monaco; require?: AmdRequire };

let loading: Promise<typeof Monaco> | undefined;

/**
 * Loads Monaco's AMD build from our own origin (/monaco/vs, copied from node_modules at build):
 * the labs work offline, and Monaco's 4 MB never enter the bundler's chunks.
 */
export function loadMonaco(base = '/monaco/vs'): Promise<typeof Monaco> {
  const w = window as unknown as MonacoWindow;
  if (w.monaco) return Promise.resolve(w.monaco);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = `${base}/loader.js`;
    script.async = true;
    script.onerror = () => reject(new Error(`could not load ${script.src}`));
    script.onload = () => {
      const req = w.require;
      if (!req) return reject(new Error('Monaco loader did not define require'));
      req.config({ paths: { vs: base } });
      req(['vs/editor/editor.main'], () => (w.monaco ? resolve(w.monaco) : reject(new Error('Monaco did not start'))), reject);
    };
    document.head.appendChild(script);
  });
  return loading;
}
