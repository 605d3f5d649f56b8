import type { SpecError } from '@ebpf-lab/lab-spec';
import { compileLesson } from '@/lib/content/compile-lesson';
import { checkLessonLab } from '@/lib/content/labs';
import type { LessonFile } from '@/lib/content/lessons';
import { messages, type Locale } from '@/lib/i18n';
import { LabProvider } from './lab/lab-context';
import { LabPanel } from './lab/lab-panel';
import { mdxComponents } from './mdx-components';
import { Sidebar } from './sidebar';

function LessonError({ error, locale }: { error: SpecError; locale: Locale }) {
  const t = messages(locale);
  return (
    <article className="lesson lesson-error" data-testid="lesson-error">
      <h1>{t.lessonError}</h1>
      <p>{t.lessonErrorBody}</p>
      <p className="error-file">
        File: <code>{error.file}</code>
      </p>
      <ul className="error-issues">
        {error.issues.map((i, n) => (
          <li key={n}>
            <code>{i.field || '(top level)'}</code>: {i.message}
          </li>
        ))}
      </ul>
    </article>
  );
}

export async function LessonView({ locale, slug, lesson, translated }: { locale: Locale; slug: string; lesson: LessonFile; translated: boolean }) {
  const t = messages(locale);
  const shell = (main: React.ReactNode, aside?: React.ReactNode) => (
    <div className={aside ? 'page with-lab' : 'page'} lang={translated ? locale : 'en'}>
      <Sidebar locale={locale} current={slug} />
      {main}
      {aside}
    </div>
  );
  if (!lesson.ok) return shell(<LessonError error={lesson.error} locale={locale} />);

  const { frontMatter: fm } = lesson;
  const labCheck = fm.lab ? await checkLessonLab(lesson.file, fm.lab, fm.steps) : {};
  if (labCheck.error) return shell(<LessonError error={labCheck.error} locale={locale} />);
  const compiled = await compileLesson(lesson.file, lesson.mtimeMs, lesson.body, lesson.bodyLine);
  if (!compiled.ok) return shell(<LessonError error={compiled.error} locale={locale} />);

  const { Content } = compiled;
  const article = (
    <article className="lesson" data-testid="lesson">
      {!translated && (
        <p className="notice untranslated" data-testid="untranslated">
          {t.untranslated}
        </p>
      )}
      <h1>{fm.title}</h1>
      <p className="lead">{fm.description}</p>
      <Content components={mdxComponents({ locale, lab: labCheck.lab })} />
    </article>
  );
  if (labCheck.unavailable) {
    return shell(
      article,
      <aside className="lab-panel" data-testid="lab-panel" data-lab-state="unavailable">
        <div className="lab-error" role="alert" data-testid="lab-error">
          <strong>{t.labUnavailable}</strong>
          <p>{labCheck.unavailable}</p>
        </div>
      </aside>,
    );
  }
  if (!labCheck.lab) return shell(article);
  const lab = labCheck.lab;
  return (
    <LabProvider
      labId={lab.id}
      locale={locale}
      steps={lab.steps.map((s) => ({ id: s.id, title: s.title, editor: s.editor }))}
      drivers={lab.drivers}
      editorFile={lab.editor}
    >
      {shell(article, <LabPanel locale={locale} labTitle={lab.title} />)}
    </LabProvider>
  );
}
