import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseLessonSource, SpecError, type LessonFrontMatter } from '@ebpf-lab/lab-spec';
import { z } from 'zod';
import { DEFAULT_LOCALE, type Locale } from '../i18n';
import { contentPaths } from './paths';

const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/, 'lower-case slug segments separated by "/"');
const Meta = z.array(Slug);

export type LessonFile =
  { ok: true; file: string; mtimeMs: number; frontMatter: LessonFrontMatter; body: string; bodyLine: number } | { ok: false; file: string; error: SpecError };

export interface SidebarEntry {
  slug: string;
  title: string;
  translated: boolean;
  broken: boolean;
}

/** Repository-relative path, so error pages and logs name the file the author edits. */
export function displayPath(file: string): string {
  const rel = relative(contentPaths().repoRoot, file);
  return rel.startsWith('..') ? file : rel;
}

function lessonPath(locale: Locale, slug: string): string {
  return join(contentPaths().contentDir, locale, `${slug}.mdx`);
}

/** The course order of a locale; a locale without its own _meta.json follows English. */
export function courseOrder(locale: Locale): { slugs: string[]; error?: SpecError } {
  const own = join(contentPaths().contentDir, locale, '_meta.json');
  const file = existsSync(own) || locale === DEFAULT_LOCALE ? own : join(contentPaths().contentDir, DEFAULT_LOCALE, '_meta.json');
  if (!existsSync(file)) return { slugs: [] };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { slugs: [], error: new SpecError(displayPath(file), [{ field: '', message: `not valid JSON: ${(e as Error).message}` }]) };
  }
  const parsed = Meta.safeParse(data);
  if (!parsed.success) return { slugs: [], error: SpecError.fromZod(displayPath(file), parsed.error) };
  return { slugs: parsed.data };
}

/** Reads and validates one lesson file; null when it does not exist. Never throws a SpecError. */
export function readLessonFile(locale: Locale, slug: string): LessonFile | null {
  if (!Slug.safeParse(slug).success) return null;
  const abs = lessonPath(locale, slug);
  if (!existsSync(abs)) return null;
  const file = displayPath(abs);
  try {
    const { frontMatter, body, bodyLine } = parseLessonSource(file, readFileSync(abs, 'utf8'));
    return { ok: true, file, mtimeMs: statSync(abs).mtimeMs, frontMatter, body, bodyLine };
  } catch (e) {
    if (e instanceof SpecError) return { ok: false, file, error: e };
    throw e;
  }
}

/** The lesson for a URL: the locale's own file, else the English one marked untranslated. */
export function findLesson(locale: Locale, slug: string): { lesson: LessonFile; translated: boolean } | null {
  const own = readLessonFile(locale, slug);
  if (own) return { lesson: own, translated: true };
  if (locale === DEFAULT_LOCALE) return null;
  const fallback = readLessonFile(DEFAULT_LOCALE, slug);
  return fallback ? { lesson: fallback, translated: false } : null;
}

export function sidebar(locale: Locale): { entries: SidebarEntry[]; error?: SpecError } {
  const { slugs, error } = courseOrder(locale);
  const entries = slugs.flatMap((slug): SidebarEntry[] => {
    const found = findLesson(locale, slug);
    if (!found) return [];
    const { lesson, translated } = found;
    return [{ slug, translated, broken: !lesson.ok, title: lesson.ok ? lesson.frontMatter.title : slug }];
  });
  return { entries, error };
}
