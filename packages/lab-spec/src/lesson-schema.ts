import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { SpecError } from './errors.ts';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

/** Front matter of one lesson (content/<locale>/<slug>.mdx); see docs/content.md. */
export const LessonFrontMatter = z
  .object({
    title: z.string().min(1),
    description: z.string().min(1),
    /** The lab beside the lesson (labs/<id>). */
    lab: id.optional(),
    /** Step ids of that lab the lesson covers, in order; only meaningful with `lab`. */
    steps: z.array(id).optional(),
  })
  .strict()
  .refine((fm) => !fm.steps || fm.lab, { message: 'steps need a lab: add `lab: <lab-id>`', path: ['steps'] });
export type LessonFrontMatter = z.infer<typeof LessonFrontMatter>;

const FENCE = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/**
 * Splits an MDX source into validated front matter and body. Throws SpecError naming the file and
 * field; `bodyLine` is the 1-based line of the body's first line, so MDX errors can point at the file.
 */
export function parseLessonSource(file: string, source: string): { frontMatter: LessonFrontMatter; body: string; bodyLine: number } {
  const m = FENCE.exec(source);
  if (!m)
    throw new SpecError(file, [{ field: '', message: 'missing front matter: the file must start with a --- block holding at least title and description' }]);
  let data: unknown;
  try {
    data = parseYaml(m[1] ?? '');
  } catch (e) {
    if (!(e instanceof YAMLParseError)) throw e;
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line + 1}` : '';
    throw new SpecError(file, [{ field: where, message: `front matter is not valid YAML: ${e.message.split('\n')[0]}` }]);
  }
  const parsed = LessonFrontMatter.safeParse(data ?? {});
  if (!parsed.success) throw SpecError.fromZod(file, parsed.error);
  return { frontMatter: parsed.data, body: source.slice(m[0].length), bodyLine: m[0].split('\n').length };
}
