import type { MDXComponents } from 'mdx/types';
import type { ComponentProps, ReactNode } from 'react';
import type { LabSummary } from '@/lib/content/labs';
import { messages, type Locale } from '@/lib/i18n';
import { DoctorTable } from './lab/doctor-table';
import { ResultChart } from './lab/result-chart';
import { RunBlock } from './lab/run-block';
import { StepCheck } from './lab/step-check';

type PreProps = ComponentProps<'pre'> & { 'data-run'?: string; 'data-code'?: string; 'data-lang'?: string };

/** The components a lesson may use (docs/content.md); built per lesson so they know its lab. */
export function mdxComponents({ locale, lab }: { locale: Locale; lab?: LabSummary }): MDXComponents {
  const t = messages(locale);
  return {
    pre({ 'data-run': run, 'data-code': code, ...props }: PreProps) {
      const pre = <pre {...props} />;
      return run && code !== undefined ? (
        <RunBlock code={code} label={t.run}>
          {pre}
        </RunBlock>
      ) : (
        pre
      );
    },
    Note: ({ children }: { children: ReactNode }) => <aside className="callout note">{children}</aside>,
    Warning: ({ children }: { children: ReactNode }) => (
      <aside className="callout warning" role="note">
        {children}
      </aside>
    ),
    Step({ id, children }: { id: string; children: ReactNode }) {
      const step = lab?.steps.find((s) => s.id === id);
      if (!step) {
        return (
          <section className="step step-unknown">
            <p className="callout warning">
              Unknown step <code>{id}</code>
              {lab ? ` (lab ${lab.id})` : ' (this lesson has no lab)'}.
            </p>
            {children}
          </section>
        );
      }
      return (
        <section className="step" id={`step-${id}`} data-testid={`step-${id}`}>
          {children}
          <StepCheck step={id} title={step.title} hint={step.hint} />
        </section>
      );
    },
    Doctor: () => <DoctorTable />,
    ResultChart: ({ file, title, labels }: { file: string; title?: string; labels?: Record<string, string> }) => (
      <ResultChart file={file} title={title} labels={labels} />
    ),
  };
}
