'use client';
import { useEffect, useState } from 'react';
import { messages } from '@/lib/i18n';
import { labApi } from './lab-api';
import { useLab } from './lab-context';

import type { DoctorReport } from '@ebpf-lab/api';

/** <Doctor />: the learner's own `lab doctor` report, asked of labd through the web. */
export function DoctorTable() {
  const ctx = useLab();
  const [report, setReport] = useState<DoctorReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const labId = ctx?.labId;
  const sessionReady = !!ctx?.lab; // the first lab call has set the learner cookie
  useEffect(() => {
    if (!labId || !sessionReady) return;
    labApi.doctor(labId).then(
      (r) => setReport(r),
      (e: Error) => setError(e.message),
    );
  }, [labId, sessionReady]);
  if (!ctx) return <p className="callout warning">&lt;Doctor /&gt; needs a lesson with a lab.</p>;
  const t = messages(ctx.locale);
  if (error)
    return (
      <p className="callout warning">
        {t.doctor}: {error}
      </p>
    );
  if (!report) return <p className="doctor-loading">{t.doctor}: …</p>;
  return (
    <table className="doctor" data-testid="doctor">
      <caption>
        {t.doctor}: <code>{report.kernel}</code>
      </caption>
      <tbody>
        {report.items.map((i) => (
          <tr key={i.name} className={i.ok === true ? 'ok' : i.ok === false ? 'missing' : 'unknown'}>
            <td>{i.ok === true ? '✓' : i.ok === false ? '✗' : '?'}</td>
            <th scope="row">{i.name}</th>
            <td>
              {i.detail}
              {i.fix && (
                <>
                  <br />
                  <small>{i.fix}</small>
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
