import type { Metadata } from 'next';
import '@/components/instructor/instructor.css';
import { headers } from 'next/headers';
import Link from 'next/link';
import { findLesson } from '@/lib/content/lessons';
import { classApi } from '@/lib/labd/classes';
import { clientOf } from '@/lib/request-guard';
import { joinText, stoppedFromQuery } from '../join-text';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Join a class' };

type Props = { params: Promise<{ code: string }>; searchParams: Promise<{ error?: string | string[]; stopped?: string | string[] }> };

/**
 * /join/<code>: the class behind the code and a display-name form, in the class's language; a wrong
 * code says so. After a join that stopped the learner's netns labs (`?stopped=`), it says that
 * instead and links to the first lesson.
 */
export default async function JoinPage({ params, searchParams }: Props) {
  const { code } = await params;
  const { error: errorRaw, stopped: stoppedRaw } = await searchParams;
  const error = Array.isArray(errorRaw) ? errorRaw[0] : errorRaw;
  const cls = await classApi.lookup(decodeURIComponent(code), clientOf(await headers())).catch((e: Error) => ({ failed: e.message }));
  if (cls && 'failed' in cls) {
    return (
      <main className="join">
        <h1>Join a class</h1>
        <p className="join-error" role="alert">
          The lab server is not reachable: {cls.failed}
        </p>
      </main>
    );
  }
  if (!cls) {
    return (
      <main className="join" data-testid="join-unknown">
        <h1>Join a class</h1>
        <p className="join-error" role="alert">
          No class has the code <code>{code}</code>. Check it with your instructor.
        </p>
      </main>
    );
  }
  const t = joinText(cls.language);
  const lang = cls.language ?? 'en';
  const stopped = stoppedFromQuery(stoppedRaw);
  const first = cls.lessons[0]?.slug;
  if (stopped.length) {
    return (
      <main className="join" data-testid="join-stopped" lang={lang}>
        <h1>{t.joined(cls.name)}</h1>
        <p className="join-notice" role="status" data-testid="join-notice">
          {t.stopped(stopped)}
        </p>
        <p>
          <Link href={first ? `/${lang}/${first}` : '/'} data-testid="join-continue">
            {t.continue}
          </Link>
        </p>
      </main>
    );
  }
  return (
    <main className="join" data-testid="join" lang={lang}>
      <h1>{t.join(cls.name)}</h1>
      {cls.ended ? (
        <p className="join-error" role="alert">
          {t.ended}
        </p>
      ) : (
        <form method="post" action="/join/api/enter" className="join-form">
          <input type="hidden" name="code" value={code} />
          <label>
            {t.nameLabel}
            <input
              name="name"
              required
              maxLength={60}
              pattern="[^\x00-\x1f\x7f]+"
              title={t.nameTitle}
              autoFocus
              autoComplete="nickname"
              data-testid="join-name"
            />
          </label>
          <button type="submit" data-testid="join-submit">
            {t.submit}
          </button>
          {error && (
            <p className="join-error" role="alert">
              {error}
            </p>
          )}
        </form>
      )}
      <h2>{t.lessons}</h2>
      <ol>
        {cls.lessons.map((l) => (
          <li key={l.slug}>{titleIn(lang, l.slug) ?? l.title}</li>
        ))}
      </ol>
    </main>
  );
}

/** The lesson's title in the class's language (the class stores the English one it was made with). */
function titleIn(lang: 'en' | 'ko', slug: string): string | null {
  const found = findLesson(lang, slug);
  return found?.translated && found.lesson.ok ? found.lesson.frontMatter.title : null;
}
