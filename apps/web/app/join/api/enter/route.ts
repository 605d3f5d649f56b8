import { classApi } from '@/lib/labd/classes';
import { classCookieHeader } from '@/lib/labd/class-cookie';
import { LabdError } from '@/lib/labd/client';
import { decodeLearnerCookie, LEARNER_COOKIE, readCookie, setCookieHeader } from '@/lib/labd/session';
import { DEFAULT_LOCALE } from '@/lib/i18n';

export const dynamic = 'force-dynamic';

const back = (req: Request, code: string, error: string) =>
  Response.redirect(new URL(`/join/${encodeURIComponent(code)}?error=${encodeURIComponent(error)}`, req.url), 303);

/**
 * The join form's POST: enrols the browser's learner (or a new one) under the display name, sets
 * the learner cookie (their lab identity) and the class marker, and goes to the first lesson.
 */
export async function POST(req: Request): Promise<Response> {
  const origin = req.headers.get('origin');
  if (origin && new URL(origin).host !== req.headers.get('host')) return new Response('cross-site request refused', { status: 403 });
  const form = await req.formData();
  const code = String(form.get('code') ?? '').trim().slice(0, 32);
  const name = String(form.get('name') ?? '').trim();
  if (!name || name.length > 60) return back(req, code, 'Enter a display name (up to 60 characters).');
  const known = decodeLearnerCookie(readCookie(req.headers.get('cookie'), LEARNER_COOKIE));
  try {
    const joined = await classApi.join(code, name, known?.id);
    const first = joined.lessons[0]?.slug;
    const headers = new Headers({ location: first ? `/${DEFAULT_LOCALE}/${first}` : '/' });
    headers.append('set-cookie', setCookieHeader({ id: joined.learnerId, name: joined.displayName }));
    headers.append('set-cookie', classCookieHeader(joined.classId));
    return new Response(null, { status: 303, headers });
  } catch (e) {
    if (e instanceof LabdError && e.status === 404) return back(req, code, 'No class has this code. Check it with your instructor.');
    if (e instanceof LabdError && e.status === 410) return back(req, code, 'This class has ended.');
    if (e instanceof LabdError && e.status === 429) return back(req, code, 'Too many wrong codes were tried; wait a minute.');
    throw e;
  }
}
