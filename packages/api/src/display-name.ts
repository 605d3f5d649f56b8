import { z } from 'zod';

export const DISPLAY_NAME_MAX = 60;

/**
 * Characters a display name may not hold: control characters (CR/LF would forge lines in CSV
 * exports, logs and the roster), format characters such as bidi overrides (they make a name read
 * as another), unassigned and private-use code points, and lone surrogates. The zero-width
 * joiner is the one format character allowed: emoji such as 👩‍💻 are made with it.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Cs}\u2028\u2029]/u;

/** Why `name` is not a display name, or null when it is one. Used by labd (the source of truth) and the web's join form. */
export function displayNameProblem(name: string): string | null {
  const n = name.trim();
  if (!n) return 'enter a display name';
  if ([...n].length > DISPLAY_NAME_MAX) return `a display name is at most ${DISPLAY_NAME_MAX} characters`;
  if (UNPRINTABLE.test(n.replaceAll('\u200D', ''))) return 'a display name may hold printable text only (no line breaks, tabs or other control characters)';
  return null;
}

/** The zod field for a display name: trimmed, 1–60 characters of printable text, with a clear 400 message. */
export const DisplayName = z.string().transform((s, ctx) => {
  const problem = displayNameProblem(s);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return s.trim();
});
