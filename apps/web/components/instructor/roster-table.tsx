'use client';
import { useEffect, useState } from 'react';
import type { RosterRow } from '@ebpf-lab/lab-spec';

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** One row per learner: where they are, how it goes, whether they look stuck; Follow opens their terminal. */
export function RosterTable({ rows, following, onFollow }: { rows: RosterRow[]; following: string | null; onFollow: (learnerId: string) => void }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  if (!rows.length)
    return (
      <p className="muted" data-testid="roster-empty">
        Nobody has joined yet.
      </p>
    );
  return (
    <table className="roster" data-testid="roster">
      <thead>
        <tr>
          <th>Learner</th>
          <th>Lesson · step</th>
          <th>Steps</th>
          <th>On step</th>
          <th>Attempts</th>
          <th>Last check</th>
          <th>Lab</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr
            key={r.learnerId}
            className={r.stuck ? 'stuck' : ''}
            data-testid={`roster-${r.displayName}`}
            data-learner={r.learnerId}
            data-step={r.step?.id ?? 'done'}
            data-stuck={String(r.stuck)}
            data-lab={r.lab.state}
          >
            <td>
              {r.displayName}
              {r.stuck && (
                <div className="stuck-flag" data-testid="stuck" title={r.stuckReason ?? ''}>
                  stuck: {r.stuckReason}
                </div>
              )}
            </td>
            <td>
              {r.lesson ?? '—'}
              {r.step ? (
                <>
                  {' '}
                  ·{' '}
                  <span title={r.step.title}>
                    {r.step.index}. {r.step.id}
                  </span>
                </>
              ) : r.lesson ? (
                ' · done'
              ) : (
                ''
              )}
            </td>
            <td className="dots" title={r.steps.map((s) => `${s.id}: ${s.status} (${s.attempts})`).join('\n')}>
              {r.steps.map((s) => (
                <span key={s.id} className={s.status} data-testid={`dot-${s.id}`} data-status={s.status} />
              ))}{' '}
              {r.stepsDone}/{r.stepsTotal}
            </td>
            <td>{r.step ? duration(now - Date.parse(r.stepSince)) : '—'}</td>
            <td>
              {r.attempts}
              {r.failStreak > 0 ? ` (${r.failStreak} failed in a row)` : ''}
            </td>
            <td data-testid="last-check" data-status={r.lastCheck?.status ?? 'none'} data-step={r.lastCheck?.step ?? ''}>
              {r.lastCheck ? (
                <>
                  <span className={`status-${r.lastCheck.status}`}>
                    {r.lastCheck.step}: {r.lastCheck.status}
                  </span>
                  <div className="muted">{r.lastCheck.message}</div>
                </>
              ) : (
                '—'
              )}
            </td>
            <td>
              {r.lab.state}
              {r.terminal ? ' · terminal' : ''}
              {r.lab.error ? <div className="join-error">{r.lab.error}</div> : null}
            </td>
            <td>
              <button type="button" onClick={() => onFollow(r.learnerId)} disabled={following === r.learnerId} data-testid="follow">
                {following === r.learnerId ? 'Following' : 'Follow'}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
