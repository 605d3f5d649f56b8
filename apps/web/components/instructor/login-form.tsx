'use client';
import { useState } from 'react';

/** Asks once for the instructor token; the web keeps it server-side and sets a session cookie. */
export function LoginForm() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (form: FormData) => {
    setBusy(true);
    setError(null);
    const res = await fetch('/instructor/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: form.get('token') }),
    });
    setBusy(false);
    if (res.ok) {
      window.location.reload();
      return;
    }
    const j = (await res.json().catch(() => ({}))) as { error?: string; hint?: string };
    setError([j.error, j.hint].filter(Boolean).join(' — ') || `sign-in failed (${res.status})`);
  };
  return (
    <form className="login-form" action={submit} data-testid="instructor-login">
      <label>
        Instructor token
        <input name="token" type="password" required autoComplete="off" data-testid="instructor-token" />
      </label>
      <p className="muted">
        It is in <code>&lt;stateDir&gt;/instructor-token</code> on the labd machine (or ELAB_INSTRUCTOR_TOKEN). The web server checks it and forgets it; this
        browser gets only a 12-hour session cookie.
      </p>
      <button type="submit" disabled={busy}>
        Sign in
      </button>
      {error && (
        <p className="join-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function SignOut() {
  return (
    <button type="button" onClick={() => void fetch('/instructor/api/session', { method: 'DELETE' }).then(() => window.location.assign('/instructor'))}>
      Sign out
    </button>
  );
}
