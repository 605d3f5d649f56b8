'use client';
import dynamic from 'next/dynamic';
import { useState } from 'react';
import { messages, type Locale } from '@/lib/i18n';
import { DriverPicker } from './driver-picker';
import { editorFileFor } from './editor-file';
import { useLab } from './lab-context';

// xterm and Monaco are fetched only when the lab panel needs them, never in the page's first JS.
const Terminal = dynamic(() => import('./terminal.client'), { ssr: false, loading: () => <div className="terminal-loading">…</div> });
const Editor = dynamic(() => import('./editor.client'), { ssr: false, loading: () => <div className="editor-loading">…</div> });

const EDITOR_TAB = '\0editor';

export function LabPanel({ locale, labTitle }: { locale: Locale; labTitle: string }) {
  const t = messages(locale);
  const ctx = useLab();
  const [tab, setTab] = useState<string | null>(null);
  const [editorOpened, setEditorOpened] = useState(false);
  const [picking, setPicking] = useState(false);
  if (!ctx) return null;
  const { lab, progress, error } = ctx;
  const ready = lab?.state === 'ready';
  const nodes = ready ? lab.nodes : [];
  const active = tab && (tab === EDITOR_TAB || nodes.includes(tab)) ? tab : (nodes[0] ?? null);
  const pct = Math.round(Math.max(0, Math.min(1, progress?.fraction ?? 0)) * 100);
  // A lab on one driver has nothing to choose. With several, the lab starts at once on the learner's
  // last choice (else the lab's first driver), and the picker comes up from the driver badge, on
  // Reset, or when the start failed, so the learner can move it to another driver.
  const multi = ctx.drivers.length > 1;
  const failed = !!error || lab?.state === 'error';
  const showPicker = multi && ((picking && ready) || (failed && lab?.state !== 'starting'));
  const editorFile = editorFileFor(ctx.stepTitles, (s) => ctx.results[s]?.status === 'pass', ctx.editorFile);

  const open = (name: string) => {
    setTab(name);
    if (name === EDITOR_TAB) setEditorOpened(true);
  };

  return (
    <aside className="lab-panel" data-testid="lab-panel" data-lab-state={lab?.state ?? 'loading'}>
      <header className="lab-header">
        <strong>{labTitle}</strong>
        {multi && lab?.driver && (
          <button
            type="button"
            className="lab-driver"
            data-testid="lab-driver"
            title={t.driverChange}
            aria-label={`${lab.driver}: ${t.driverChange}`}
            onClick={() => setPicking(true)}
            disabled={!ready || showPicker}
          >
            {lab.driver}
          </button>
        )}
        <button type="button" onClick={() => (multi ? setPicking(true) : void ctx.reset())} disabled={!ready || showPicker} data-testid="lab-reset">
          {t.reset}
        </button>
        <button type="button" onClick={() => void ctx.stop()} disabled={!ready || showPicker} data-testid="lab-stop">
          {t.stop}
        </button>
      </header>
      {error && (
        <div className="lab-error" role="alert" data-testid="lab-error">
          {t.labError}: {error}{' '}
          <button type="button" onClick={ctx.retry}>
            {t.retry}
          </button>
        </div>
      )}
      {lab?.state === 'error' && !error && (
        <div className="lab-error" role="alert" data-testid="lab-error">
          {t.labError}: {lab.error}{' '}
          <button type="button" onClick={ctx.retry}>
            {t.retry}
          </button>
        </div>
      )}
      {ready && lab.error && (
        // Running but stuck, e.g. a vm guest paused on a full host disk: labd's message names the fix.
        <div className="lab-error" role="alert" data-testid="lab-stuck">
          {lab.error}
        </div>
      )}
      {showPicker && (
        <DriverPicker
          labId={ctx.labId}
          locale={locale}
          current={lab?.driver}
          action={ready ? 'reset' : 'start'}
          onSubmit={async (d) => {
            await ctx.runOn(d, ready ? 'reset' : 'start');
            setPicking(false);
          }}
          onCancel={ready ? () => setPicking(false) : undefined}
        />
      )}
      {lab?.state === 'down' && progress === null && !error && (
        <div className="lab-progress" data-testid="lab-stopped">
          <button type="button" onClick={ctx.retry} data-testid="lab-start">
            {t.retry}
          </button>
        </div>
      )}
      {!ready && !error && lab?.state !== 'error' && !(lab?.state === 'down' && progress === null) && (
        <div className="lab-progress" data-testid="lab-progress">
          <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
            <div className="fill" style={{ width: `${pct}%` }} />
          </div>
          <span className="progress-text">{progress?.message ?? t.labStarting}</span>
        </div>
      )}
      {ready && (
        <>
          <div className="tabs" role="tablist">
            {nodes.map((n) => (
              <button key={n} type="button" role="tab" aria-selected={active === n} onClick={() => open(n)} data-testid={`tab-${n}`}>
                {n}
              </button>
            ))}
            <button
              type="button"
              role="tab"
              className="tab-editor"
              aria-selected={active === EDITOR_TAB}
              onClick={() => open(EDITOR_TAB)}
              data-testid="tab-editor"
            >
              {t.editor}
            </button>
          </div>
          <div className="tab-panels">
            {nodes.map((n) => (
              <div key={`${lab.instanceId}:${n}`} className="tab-panel" hidden={active !== n}>
                <Terminal labId={ctx.labId} node={n} active={active === n} locale={locale} />
              </div>
            ))}
            {editorOpened && (
              <div className="tab-panel" hidden={active !== EDITOR_TAB}>
                <Editor labId={ctx.labId} locale={locale} file={editorFile} />
              </div>
            )}
          </div>
        </>
      )}
    </aside>
  );
}
