'use client';
import { useState } from 'react';
import type { RoomLesson } from './room';

/** A message, a "go to step", or both, to everyone in the class. */
export function BroadcastForm({ classId, lessons, disabled }: { classId: string; lessons: RoomLesson[]; disabled: boolean }) {
  const [target, setTarget] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (form: FormData) => {
    setBusy(true);
    setError(null);
    const [lesson, step] = String(form.get('target') ?? '').split('#');
    const res = await fetch('/instructor/api/broadcast', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ classId, message: form.get('message'), ...(lesson ? { goto: { lesson, step: step || undefined } } : {}) }),
    });
    setBusy(false);
    if (!res.ok) setError(((await res.json().catch(() => ({}))) as { error?: string }).error ?? `not sent (${res.status})`);
    else setTarget('');
  };
  return (
    <form className="broadcast" action={send} data-testid="broadcast">
      <strong>Broadcast to the class</strong>
      <div className="row">
        <input name="message" placeholder="Message (optional with a go-to)" maxLength={500} data-testid="broadcast-message" />
      </div>
      <div className="row">
        <select name="target" value={target} onChange={(e) => setTarget(e.target.value)} data-testid="broadcast-goto">
          <option value="">(no go-to)</option>
          {lessons.map((l) => [
            <option key={l.slug} value={l.slug}>
              Go to: {l.title}
            </option>,
            ...l.steps.map((s) => (
              <option key={`${l.slug}#${s.id}`} value={`${l.slug}#${s.id}`}>
                Go to: {l.title} → {s.title}
              </option>
            )),
          ])}
        </select>
        <button type="submit" disabled={busy || disabled} data-testid="broadcast-send">
          Send
        </button>
      </div>
      {error && (
        <p className="join-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
