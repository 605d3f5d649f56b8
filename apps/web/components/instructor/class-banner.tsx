'use client';
import './class-banner.css';
import { useEffect, useState } from 'react';
import { onSseEvent } from '@/lib/sse';

const CLASS_COOKIE = 'elab_class';
const DISMISSED = 'elab_class_dismissed';
const LOCALES = ['en', 'ko'];
const TEXT = {
  en: { from: 'From your instructor', ended: 'The class has ended. Your progress is saved.', close: 'Close' },
  ko: { from: '강사 메시지', ended: '수업이 끝났습니다. 진행 상황은 저장되어 있습니다.', close: '닫기' },
};

const LEARNER_EVENTS = 'GET /v1/classes/learner-events';

const localeOf = () => {
  const first = window.location.pathname.split('/')[1] ?? '';
  return LOCALES.includes(first) ? first : 'en';
};

/** Scrolls to a step's check once the lesson has rendered it, and marks it for a moment. */
function showStep(step: string): void {
  let tries = 0;
  const look = () => {
    const el = document.querySelector(`[data-testid="check-${CSS.escape(step)}"]`);
    if (!el) {
      if (++tries < 100) setTimeout(look, 100);
      return;
    }
    el.scrollIntoView({ block: 'center', behavior: 'smooth' });
    el.classList.add('step-highlight');
    setTimeout(() => el.classList.remove('step-highlight'), 4000);
  };
  look();
}

/**
 * On every page of a browser that joined a class: shows the instructor's messages and follows
 * "go to" broadcasts (another lesson is opened; a step is scrolled to). Renders nothing, and
 * opens no stream, for a browser that never joined one.
 */
export function ClassBanner() {
  const [shown, setShown] = useState<{ id: number; text: string; title: string } | null>(null);

  useEffect(() => {
    const m = /^#step-([a-z0-9-]+)$/.exec(window.location.hash);
    if (m) showStep(m[1]!);
    if (!document.cookie.split(';').some((c) => c.trim().startsWith(`${CLASS_COOKIE}=`))) return;
    const t = TEXT[localeOf() as keyof typeof TEXT];
    const dismissed = () => Number(window.localStorage.getItem(DISMISSED) ?? 0);
    const es = new EventSource('/join/api/events');
    onSseEvent(es, LEARNER_EVENTS, 'broadcast', (b) => {
      if (b.message && b.id > dismissed()) setShown({ id: b.id, text: b.message, title: t.from });
      if (b.kind !== 'goto' || b.replay || !b.lesson) return;
      const path = `/${localeOf()}/${b.lesson}`;
      if (window.location.pathname === path) {
        if (b.step) {
          window.history.replaceState(null, '', `#step-${b.step}`);
          showStep(b.step);
        }
      } else {
        window.location.assign(`${path}${b.step ? `#step-${b.step}` : ''}`);
      }
    });
    onSseEvent(es, LEARNER_EVENTS, 'ended', () => {
      setShown({ id: -1, text: t.ended, title: '' });
      document.cookie = `${CLASS_COOKIE}=; Path=/; Max-Age=0`;
      es.close();
    });
    return () => es.close();
  }, []);

  if (!shown) return null;
  const close = () => {
    if (shown.id > 0) window.localStorage.setItem(DISMISSED, String(shown.id));
    setShown(null);
  };
  return (
    <div className="class-banner" role="status" aria-live="polite" data-testid="class-banner" data-broadcast={shown.id}>
      <div>
        {shown.title && <strong>{shown.title}: </strong>}
        <span data-testid="class-banner-text">{shown.text}</span>
      </div>
      <button type="button" onClick={close}>
        {TEXT[localeOf() as keyof typeof TEXT].close}
      </button>
    </div>
  );
}
