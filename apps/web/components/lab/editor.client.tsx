'use client';
import type * as Monaco from 'monaco-editor';
import { useCallback, useEffect, useRef, useState } from 'react';
import { messages, type Locale } from '@/lib/i18n';
import { labApi, type BuildResult } from './lab-api';
import { sameFile, toMarkers } from './diagnostics';
import { loadMonaco } from './monaco-loader';

/** For a lab whose lab.yaml names no editor file (`editor.open`). */
const DEFAULT_FILE = 'bpf/hello/hello.bpf.c';
const LANGS: Record<string, string> = { c: 'c', h: 'c', bt: 'c', sh: 'shell', json: 'json', yaml: 'yaml', yml: 'yaml', md: 'markdown', py: 'python' };

/** `bpf/<tool>/…` files build with labd's build endpoint; others can only be saved. */
function toolOf(path: string): string | null {
  return /^bpf\/([a-z0-9_-]+)\//.exec(path)?.[1] ?? null;
}

/**
 * `file`: what the learner's current step edits. It opens first, and again when the step changes,
 * unless the open file has edits not yet saved (those are never thrown away).
 */
export default function EditorView({ labId, locale, file }: { labId: string; locale: Locale; file?: string }) {
  const t = messages(locale);
  const host = useRef<HTMLDivElement>(null);
  const mon = useRef<{ monaco: typeof Monaco; editor: Monaco.editor.IStandaloneCodeEditor } | null>(null);
  const wanted = file ?? DEFAULT_FILE;
  const firstFile = useRef(wanted);
  /** The text as last read or saved: the open model differs from it only by unsaved edits. */
  const saved = useRef<string | null>(null);
  const [path, setPath] = useState(wanted);
  const [openPath, setOpenPath] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const [build, setBuild] = useState<BuildResult | null>(null);
  const [builds, setBuilds] = useState(0); // how many builds answered: lets a watcher tell a new result from the last

  const open = useCallback(
    async (p: string) => {
      const m = mon.current;
      if (!m) return;
      setStatus('…');
      try {
        const text = await labApi.readFile(labId, p);
        const uri = m.monaco.Uri.parse(`file:///lab/${p}`);
        const lang = LANGS[p.split('.').pop() ?? ''] ?? 'plaintext';
        const model = m.monaco.editor.getModel(uri) ?? m.monaco.editor.createModel(text, lang, uri);
        if (model.getValue() !== text) model.setValue(text);
        m.editor.setModel(model);
        saved.current = text;
        setOpenPath(p);
        setPath(p);
        setBuild(null);
        setStatus('');
      } catch (e) {
        setStatus((e as Error).message);
      }
    },
    [labId],
  );

  useEffect(() => {
    let disposed = false;
    loadMonaco().then(
      (monaco) => {
        if (disposed || !host.current) return;
        const editor = monaco.editor.create(host.current, {
          automaticLayout: true,
          minimap: { enabled: false },
          fontSize: 13,
          scrollBeyondLastLine: false,
          theme: 'vs',
        });
        mon.current = { monaco, editor };
        void open(firstFile.current);
      },
      (e: Error) => setStatus(e.message),
    );
    return () => {
      disposed = true;
      mon.current?.editor.dispose();
      mon.current = null;
    };
  }, [open]);

  useEffect(() => {
    const model = mon.current?.editor.getModel();
    if (!mon.current || !openPath || openPath === wanted) return;
    if (model && saved.current !== null && model.getValue() !== saved.current) return;
    void open(wanted);
  }, [wanted]); // eslint-disable-line react-hooks/exhaustive-deps -- only a change of step reopens

  const save = async (): Promise<boolean> => {
    const model = mon.current?.editor.getModel();
    if (!model || !openPath) return false;
    try {
      const text = model.getValue();
      await labApi.writeFile(labId, openPath, text);
      saved.current = text;
      setStatus(t.saved);
      return true;
    } catch (e) {
      setStatus((e as Error).message);
      return false;
    }
  };

  const buildAndLoad = async () => {
    const m = mon.current;
    const model = m?.editor.getModel();
    const tool = openPath && toolOf(openPath);
    if (!m || !model || !tool || !openPath) return;
    setBusy(true);
    setBuild(null);
    setStatus(t.building);
    try {
      if (!(await save())) return;
      const r = await labApi.build(labId, tool);
      setBuild(r);
      setBuilds((n) => n + 1);
      m.monaco.editor.setModelMarkers(model, 'labd', toMarkers(m.monaco, model, openPath, r.diagnostics));
      const first = r.diagnostics.find((d) => sameFile(d.file, openPath));
      if (first) m.editor.revealLineInCenter(first.line);
      setStatus(r.ok ? t.buildOk : `${r.stage}: ${r.diagnostics.length} diagnostic(s)`);
    } catch (e) {
      setStatus((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="editor" data-testid="editor">
      <form
        className="editor-toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void open(path);
        }}
      >
        <input value={path} onChange={(e) => setPath(e.target.value)} aria-label="file" data-testid="editor-path" />
        <button type="submit">{t.open}</button>
        <button type="button" onClick={() => void save()} disabled={!openPath} data-testid="editor-save">
          {t.save}
        </button>
        <button type="button" onClick={() => void buildAndLoad()} disabled={busy || !openPath || !toolOf(openPath)} data-testid="editor-build">
          {busy ? t.building : t.buildLoad}
        </button>
        <span className="editor-status" data-testid="editor-status">
          {status}
        </span>
      </form>
      <div className="editor-host" ref={host} data-open-path={openPath ?? ''} />
      {build && (
        <div className={`build-result ${build.ok ? 'ok' : 'failed'}`} data-testid="build-result" data-stage={build.stage} data-build={builds}>
          <ul>
            {build.diagnostics.map((d, i) => (
              <li key={i} data-line={d.line}>
                <code>
                  {d.file}:{d.line}
                  {d.column ? `:${d.column}` : ''}
                </code>{' '}
                {d.severity}: {d.message}
              </li>
            ))}
          </ul>
          {build.log && (
            <details open={!build.ok}>
              <summary>log</summary>
              <pre>{build.log}</pre>
            </details>
          )}
        </div>
      )}
    </div>
  );
}
