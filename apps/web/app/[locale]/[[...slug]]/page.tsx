import type { Metadata } from 'next';
import { notFound, redirect } from 'next/navigation';
import { LessonView } from '@/components/lesson-view';
import { courseOrder, findLesson } from '@/lib/content/lessons';
import { isLocale } from '@/lib/i18n';

// Rendered per request: an edited or broken lesson shows up on reload, and never breaks the build.
export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ locale: string; slug?: string[] }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { locale, slug } = await params;
  if (!isLocale(locale) || !slug) return {};
  const found = findLesson(locale, slug.join('/'));
  return found?.lesson.ok ? { title: found.lesson.frontMatter.title, description: found.lesson.frontMatter.description } : {};
}

/** The one lesson route: /<locale>/<slug…> renders content/<locale>/<slug…>.mdx. */
export default async function LessonPage({ params }: Props) {
  const { locale, slug } = await params;
  if (!isLocale(locale)) notFound();
  if (!slug?.length) {
    const first = courseOrder(locale).slugs[0];
    if (first) redirect(`/${locale}/${first}`);
    notFound();
  }
  const found = findLesson(locale, slug.join('/'));
  if (!found) notFound();
  return <LessonView locale={locale} slug={slug.join('/')} lesson={found.lesson} translated={found.translated} />;
}
