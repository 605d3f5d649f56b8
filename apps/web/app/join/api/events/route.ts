import { classApi } from '@/lib/labd/classes';
import { decodeLearnerCookie, LEARNER_COOKIE, readCookie } from '@/lib/labd/session';

export const dynamic = 'force-dynamic';

/** The lesson pages' banner: broadcasts of the classes this browser's learner is in (SSE from labd). */
export async function GET(req: Request): Promise<Response> {
  const learner = decodeLearnerCookie(readCookie(req.headers.get('cookie'), LEARNER_COOKIE));
  if (!learner) return new Response(null, { status: 204 });
  const res = await classApi.events(learner.id, req.signal);
  if (!res.ok) {
    await res.body?.cancel();
    return new Response(null, { status: 204 });
  }
  return new Response(res.body, { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' } });
}
