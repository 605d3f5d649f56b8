import { LabdError } from '@/lib/labd/client';
import { clearCookieHeader, decodeLearnerCookie, endLearnerSession, LEARNER_COOKIE, newLearner, readCookie, setCookieHeader } from '@/lib/labd/session';
import { clientOf, requestRefusal } from '@/lib/request-guard';

export const dynamic = 'force-dynamic';

function json(status: number, body: unknown, setCookie?: string): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  if (setCookie) headers.append('set-cookie', setCookie);
  return new Response(JSON.stringify(body), { status, headers });
}

/**
 * POST /api/learner: the lesson page's explicit first visit. It is the only way (besides a class
 * join) a browser gets a learner: labd limits it per client address and in total. A browser with
 * a live session keeps it.
 */
export async function POST(req: Request): Promise<Response> {
  const refused = requestRefusal(req.method, req.headers);
  if (refused) return json(refused.status, { error: refused.message });
  const known = decodeLearnerCookie(readCookie(req.headers.get('cookie'), LEARNER_COOKIE));
  if (known) return json(200, { learnerId: known.id, displayName: known.name });
  try {
    const l = await newLearner(clientOf(req.headers));
    return json(201, { learnerId: l.id, displayName: l.name }, setCookieHeader(l));
  } catch (e) {
    if (e instanceof LabdError) return json(e.status, { error: e.message, hint: e.hint });
    console.error('learner:', e);
    return json(500, { error: 'the web server could not reach labd', hint: (e as Error).message });
  }
}

/** DELETE /api/learner: ends this browser's learner session in labd and clears the cookie. */
export async function DELETE(req: Request): Promise<Response> {
  const refused = requestRefusal(req.method, req.headers);
  if (refused) return json(refused.status, { error: refused.message });
  await endLearnerSession(req.headers.get('cookie'));
  return json(200, { ok: true }, clearCookieHeader());
}
