'use client';
import { useState } from 'react';
import type { ClassLanguage } from '@ebpf-lab/lab-spec';
// Not lab-spec's CLASS_LANGUAGES: its index pulls node modules into the browser bundle. The two
// lists are the same by type (a language labd does not know would not be a ClassLanguage).
import { LOCALES } from '@/lib/i18n';

const CLASS_LANGUAGES: readonly ClassLanguage[] = LOCALES;

/** How each lesson language is offered to the instructor (the room itself is in English). */
export const LANGUAGE_LABEL: Record<ClassLanguage, string> = { en: 'English', ko: '한국어 (Korean)' };

/** The lessons' language in the create form: learners who join open the lessons in it. */
export function LanguageSelect({
  name,
  value,
  onChange,
  disabled,
  testid,
}: {
  name?: string;
  value?: ClassLanguage;
  onChange?: (l: ClassLanguage) => void;
  disabled?: boolean;
  testid: string;
}) {
  return (
    <select
      name={name}
      value={value}
      defaultValue={value === undefined ? 'en' : undefined}
      disabled={disabled}
      data-testid={testid}
      onChange={onChange && ((e) => onChange(e.target.value as ClassLanguage))}
    >
      {CLASS_LANGUAGES.map((l) => (
        <option key={l} value={l}>
          {LANGUAGE_LABEL[l]}
        </option>
      ))}
    </select>
  );
}

/**
 * The room's language switch: labd keeps the class's language, and the next roster event (a poke
 * after the change) shows it; until then the select shows the wanted one, greyed.
 */
export function ClassLanguageSwitch({ classId, language }: { classId: string; language: ClassLanguage }) {
  const [pending, setPending] = useState<ClassLanguage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const change = async (next: ClassLanguage) => {
    setPending(next);
    setError(null);
    const res = await fetch('/instructor/api/language', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ classId, language: next }),
    });
    if (!res.ok) setError(((await res.json().catch(() => ({}))) as { error?: string }).error ?? `not changed (${res.status})`);
    setPending(null);
  };
  return (
    <label className="class-language" data-testid="class-language-switch" data-language={language}>
      Lessons in <LanguageSelect value={pending ?? language} onChange={(l) => void change(l)} disabled={pending !== null} testid="room-language" />
      {error && (
        <span className="join-error" role="alert">
          {error}
        </span>
      )}
    </label>
  );
}
