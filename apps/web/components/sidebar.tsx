import Link from 'next/link';
import { sidebar } from '@/lib/content/lessons';
import { LOCALES, messages, type Locale } from '@/lib/i18n';

export function Sidebar({ locale, current }: { locale: Locale; current: string }) {
  const t = messages(locale);
  const { entries, error } = sidebar(locale);
  return (
    <nav className="sidebar" aria-label={t.course}>
      <Link href={`/${locale}`} className="brand">
        eBPF Lab
      </Link>
      <div className="locale-switch" data-testid="locale-switch">
        {LOCALES.map((l) => (
          <Link key={l} href={`/${l}/${current}`} aria-current={l === locale ? 'true' : undefined} hrefLang={l}>
            {messages(l).languageName}
          </Link>
        ))}
      </div>
      <h2>{t.course}</h2>
      {error && <p className="sidebar-error">{error.message}</p>}
      <ol>
        {entries.map((e) => (
          <li key={e.slug} className={e.broken ? 'broken' : undefined}>
            <Link href={`/${locale}/${e.slug}`} aria-current={e.slug === current ? 'page' : undefined}>
              {e.title}
              {!e.translated && (
                <span className="badge" title={t.untranslated}>
                  EN
                </span>
              )}
            </Link>
          </li>
        ))}
      </ol>
    </nav>
  );
}
