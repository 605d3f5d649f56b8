import { classApi } from '@/lib/labd/classes';
import { classCookieHeader } from '@/lib/labd/class-cookie';
import { LabdError } from '@/lib/labd/client';
import { decodeLearnerCookie, LEARNER_COOKIE, learnerOf, readCookie, setCookieHeader } from '@/lib/labd/session';
import { clientOf, requestRefusal } from '@/lib/request-guard';
import { BodyTooLarge, readFormBody, tooLargeResponse } from '@/lib/body-limit';
import { displayNameProblem } from '@ebpf-lab/lab-spec';

export const dynamic = 'force-dynamic';

const back = (req: Request, code: string, error: string) =>
  Response.redirect(new URL(`/join/${encodeURIComponent(code)}?error=${encodeURIComponent(error)}`, req.url), 303);

/**
 * The join form's POST: enrols the browser's learner (or a new one) under the display name, sets
 * the learner cookie (their lab identity) and the class marker, and goes to the first lesson in
 * the class's language (or to the join page's notice of labs the join stopped).
 */
export async function POST(req: Request): Promise<Response> {
  const refused = requestRefusal(req.method, req.headers);
  if (refused) return new Response(refused.message, { status: refused.status });
  let form: FormData | null;
  try {
    form = await readFormBody(req);
  } catch (e) {
    if (e instanceof BodyTooLarge) return tooLargeResponse(e);
    throw e;
  }
  if (!form) return new Response('send the join form (application/x-www-form-urlencoded)', { status: 400 });
  const code = String(form.get('code') ?? '')
    .trim()
    .slice(0, 32);
  const name = String(form.get('name') ?? '').trim();
  const problem = displayNameProblem(name);
  if (problem) return back(req, code, `${problem[0]!.toUpperCase()}${problem.slice(1)}.`);
  const known = decodeLearnerCookie(readCookie(req.headers.get('cookie'), LEARNER_COOKIE));
  try {
    const joined = await classApi.join(code, name, known?.id, clientOf(req.headers));
    const first = joined.lessons[0]?.slug;
    const lesson = first ? `/${joined.language ?? 'en'}/${first}` : '/';
    // Labs labd stopped on joining: the join page says so (in the class's language) before the lesson.
    const stopped = joined.stoppedLabs ?? [];
    const location = stopped.length ? `/join/${encodeURIComponent(code)}?stopped=${encodeURIComponent(stopped.join(','))}` : lesson;
    const headers = new Headers({ location });
    headers.append('set-cookie', setCookieHeader(learnerOf(joined)));
    headers.append('set-cookie', classCookieHeader(joined.classId));
    return new Response(null, { status: 303, headers });
  } catch (e) {
    if (e instanceof LabdError && e.status === 404) return back(req, code, 'No class has this code. Check it with your instructor.');
    if (e instanceof LabdError && e.status === 410) return back(req, code, 'This class has ended.');
    if (e instanceof LabdError && e.status === 429) return back(req, code, `${e.message}; ${e.hint ?? 'wait a minute'}.`);
    if (e instanceof LabdError && e.status === 400) return back(req, code, e.message);
    if (e instanceof LabdError && e.status === 503) return back(req, code, `${e.message}.`);
    throw e;
  }
}
