'use client';
import { useState } from 'react';
import { messages } from '@/lib/i18n';
import { useLab } from './lab-context';

/** A step's Check button and verdict. `error` is the check's fault and is never shown as the learner's. */
export function StepCheck({ step, title, hint }: { step: string; title: string; hint?: string }) {
  const ctx = useLab();
  const [checking, setChecking] = useState(false);
  if (!ctx) return null;
  const t = messages(ctx.locale);
  const result = ctx.results[step];
  const recorded = ctx.lab?.steps.find((s) => s.id === step);
  const status = result?.status ?? (recorded?.status === 'pass' ? 'pass' : undefined);

  const check = async () => {
    setChecking(true);
    try {
      await ctx.check(step);
    } finally {
      setChecking(false);
    }
  };

  return (
    <div className={`step-check ${status ?? ''}`} data-testid={`check-${step}`} data-status={status ?? 'none'}>
      <div className="step-check-bar">
        <button type="button" onClick={() => void check()} disabled={checking || ctx.lab?.state !== 'ready'}>
          {checking ? t.checking : `${t.check}: ${title}`}
        </button>
        {status && (
          <span className={`verdict ${status}`} data-testid="verdict">
            {status === 'pass' ? `✓ ${t.pass}` : status === 'fail' ? `✗ ${t.fail}` : `⚠ ${t.checkError}`}
          </span>
        )}
      </div>
      {result && (
        <div className="step-result" data-testid="check-result">
          {result.status === 'error' && <p className="check-error-note">{t.checkErrorBody}</p>}
          <p className="message">{result.message}</p>
          {(result.expected !== undefined || result.actual !== undefined) && (
            <dl className="expected-actual">
              {result.expected !== undefined && (
                <>
                  <dt>{t.expected}</dt>
                  <dd data-testid="expected">{result.expected}</dd>
                </>
              )}
              {result.actual !== undefined && (
                <>
                  <dt>{t.actual}</dt>
                  <dd data-testid="actual">{result.actual}</dd>
                </>
              )}
            </dl>
          )}
          {result.status === 'fail' && hint && (
            <details className="hint" open>
              <summary>{t.hint}</summary>
              <p>{hint}</p>
            </details>
          )}
        </div>
      )}
    </div>
  );
}
