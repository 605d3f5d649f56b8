import { courseOrder, findLesson } from '../content/lessons';
import { DEFAULT_LOCALE } from '../i18n';
import type { ClassLesson } from './classes';

/** The course's lessons an instructor can put in a class, in course order, with their labs. */
export function courseLessons(): ClassLesson[] {
  return courseOrder(DEFAULT_LOCALE).slugs.flatMap((slug): ClassLesson[] => {
    const found = findLesson(DEFAULT_LOCALE, slug);
    if (!found?.lesson.ok) return [];
    return [{ slug, title: found.lesson.frontMatter.title, labId: found.lesson.frontMatter.lab ?? null }];
  });
}
