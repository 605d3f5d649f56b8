'use client';
import { useState } from 'react';
import { LanguageSelect } from './class-language';

/** Name + lessons (in course order) → a class; then the room, which shows the join code. */
export function CreateClassForm({ lessons }: { lessons: { slug: string; title: string; labId: string | null }[] }) {
  const [error, setError] = useState<string | null>(null);
  const submit = async (form: FormData) => {
    setError(null);
    const res = await fetch('/instructor/api/classes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: form.get('name'), lessons: form.getAll('lesson'), language: form.get('language') }),
    });
    const j = (await res.json().catch(() => ({}))) as { classId?: string; error?: string };
    if (res.ok && j.classId) window.location.assign(`/instructor/${j.classId}`);
    else setError(j.error ?? `could not create the class (${res.status})`);
  };
  return (
    <form className="create-class" action={submit} data-testid="create-class">
      <label>
        Class name <input type="text" name="name" required maxLength={100} data-testid="class-name" />
      </label>
      <label>
        Lessons in (the join link opens them in this language) <LanguageSelect name="language" testid="class-language" />
      </label>
      <fieldset>
        <legend>Lessons</legend>
        {lessons.map((l) => (
          <label key={l.slug} style={{ flexDirection: 'row', alignItems: 'center' }}>
            <input type="checkbox" name="lesson" value={l.slug} defaultChecked={l.labId !== null} data-testid={`lesson-${l.slug}`} />
            {l.title} {l.labId ? <span className="muted">(lab {l.labId})</span> : <span className="muted">(reading)</span>}
          </label>
        ))}
      </fieldset>
      <p>
        <button type="submit" data-testid="create-class-submit">
          Create class
        </button>
      </p>
      {error && (
        <p className="join-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
