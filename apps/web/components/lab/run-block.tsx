'use client';
import type { ReactNode } from 'react';
import { useLab } from './lab-context';

/** A ```bash run``` block: its Run button types the block into the lab's active terminal. */
export function RunBlock({ code, label, children }: { code: string; label: string; children: ReactNode }) {
  const ctx = useLab();
  return (
    <div className="run-block" data-testid="run-block">
      {children}
      {ctx && (
        <button type="button" className="run-button" onClick={() => ctx.run(code)} disabled={ctx.lab?.state !== 'ready'} title={code}>
          ▶ {label}
        </button>
      )}
    </div>
  );
}
