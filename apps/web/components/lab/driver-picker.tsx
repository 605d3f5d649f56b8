'use client';
import { useEffect, useState } from 'react';
import { messages, type Locale, type Messages } from '@/lib/i18n';
import { labApi, type DriverChoice } from './lab-api';

const DESCRIPTION: Record<string, keyof Messages> = { netns: 'driverNetns', vagrant: 'driverVagrant', kind: 'driverKind', vm: 'driverVm' };

/**
 * The lab's drivers as labd's preflights see them on this server: each with a one-line
 * description; one that cannot run here is disabled and shows what is missing and the fix.
 * Preselects `current` when it can run, else the first that can.
 */
export function DriverPicker({
  labId,
  locale,
  current,
  action,
  onSubmit,
  onCancel,
}: {
  labId: string;
  locale: Locale;
  current?: string;
  action: 'start' | 'reset';
  onSubmit(driver: string): Promise<void>;
  onCancel?(): void;
}) {
  const t = messages(locale);
  const [choices, setChoices] = useState<DriverChoice[] | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    labApi.drivers(labId).then(
      (all) => {
        if (!live) return;
        const mine = all.filter((d) => d.supported);
        setChoices(mine);
        setPicked((p) => p ?? (mine.find((d) => d.name === current && d.ok) ?? mine.find((d) => d.ok))?.name ?? null);
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [labId, current]);

  const submit = async () => {
    if (!picked) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(picked);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="driver-picker"
      data-testid="driver-picker"
      aria-busy={!choices}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <fieldset disabled={busy}>
        <legend>{t.driverPick}</legend>
        {(choices ?? []).map((d) => (
          <label key={d.name} className={d.ok ? 'driver' : 'driver unavailable'} data-testid={`driver-${d.name}`} data-ok={d.ok}>
            <input type="radio" name="driver" value={d.name} checked={picked === d.name} disabled={!d.ok} onChange={() => setPicked(d.name)} />
            <span className="driver-name">{d.name}</span>
            <span className="driver-desc">{DESCRIPTION[d.name] ? t[DESCRIPTION[d.name]!] : ''}</span>
            {!d.ok && (
              <ul className="driver-missing" aria-label={t.driverUnavailable}>
                {d.missing.map((m, i) => (
                  <li key={i}>
                    {m.what} — <code>{m.fix}</code>
                  </li>
                ))}
              </ul>
            )}
          </label>
        ))}
        {error && (
          <p className="driver-error" role="alert" data-testid="driver-error">
            {error}
          </p>
        )}
        <div className="driver-actions">
          <button type="submit" disabled={!picked} data-testid="driver-submit">
            {action === 'start' ? t.startOn : t.resetOn}
          </button>
          {onCancel && (
            <button type="button" onClick={onCancel} data-testid="driver-cancel">
              {t.cancel}
            </button>
          )}
        </div>
      </fieldset>
    </form>
  );
}
