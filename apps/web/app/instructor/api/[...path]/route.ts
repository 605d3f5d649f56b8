import { courseLessons } from '@/lib/labd/class-lessons';
import { instructorApi } from '@/lib/labd/classes';
import { LabdError } from '@/lib/labd/client';
import { requestRefusal } from '@/lib/request-guard';
import { BodyTooLarge, readJsonBody, tooLargeResponse } from '@/lib/body-limit';
import { createInstructorSession, endInstructorSession, instructorTokenFor } from '@/lib/labd/instructor-session';

export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ path: string[] }> };

function json(status: number, body: unknown, setCookie?: string): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  if (setCookie) headers.append('set-cookie', setCookie);
  return new Response(JSON.stringify(body), { status, headers });
}

/** The JSON body, at most SMALL_BODY_BYTES (an oversized one throws BodyTooLarge → 413). */
const body = (req: Request): Promise<Record<string, unknown>> => readJsonBody(req);

function passThrough(res: Response, extra: Record<string, string> = {}): Response {
  const headers = new Headers({ 'cache-control': 'no-store', ...extra });
  for (const h of ['content-type', 'content-length', 'content-disposition']) {
    const v = res.headers.get(h);
    if (v) headers.set(h, v);
  }
  return new Response(res.body, { status: res.status, headers });
}

/**
 * /instructor/api/<route>: the instructor room's calls to labd. `session` signs in with the
 * instructor token (checked against labd, which opens a session; lib/labd/instructor-session.ts);
 * every other route needs that session and forwards to labd's /v1/classes endpoints with it.
 */
async function handle(req: Request, ctx: Ctx): Promise<Response> {
  const route = (await ctx.params).path.join('/');
  const method = req.method;
  const refused = requestRefusal(method, req.headers);
  if (refused) return json(refused.status, { error: refused.message });
  const q = new URL(req.url).searchParams;
  try {
    if (route === 'session') {
      if (method === 'DELETE') return json(200, { ok: true }, await endInstructorSession(req.headers.get('cookie')));
      if (method !== 'POST') return json(405, { error: 'POST or DELETE' });
      const token = String((await body(req)).token ?? '').trim();
      if (token.length < 32 || !(await instructorApi.verify(token)))
        return json(401, {
          error: 'that is not the instructor token',
          hint: 'it is in <stateDir>/instructor-token on the labd machine, or ELAB_INSTRUCTOR_TOKEN',
        });
      return json(200, { ok: true }, (await createInstructorSession(token)).setCookie);
    }
    const token = instructorTokenFor({ header: req.headers.get('cookie') });
    if (!token) return json(401, { error: 'sign in as the instructor first' });
    const classId = q.get('class') ?? '';
    switch (`${method} ${route}`) {
      case 'GET classes':
        return json(200, await instructorApi.list(token));
      case 'POST classes': {
        const b = await body(req);
        const wanted = Array.isArray(b.lessons) ? b.lessons.map(String) : [];
        const known = courseLessons();
        const lessons = wanted.map((slug) => known.find((l) => l.slug === slug)).filter((l) => l !== undefined);
        if (!lessons.length || lessons.length !== wanted.length) return json(400, { error: 'pick one or more lessons of the course' });
        return json(201, await instructorApi.create(token, String(b.name ?? ''), lessons, typeof b.language === 'string' ? b.language : undefined));
      }
      case 'POST language': {
        const b = await body(req);
        return json(200, await instructorApi.setLanguage(token, String(b.classId ?? ''), String(b.language ?? '')));
      }
      case 'GET roster':
        return json(200, await instructorApi.roster(token, classId));
      case 'GET events':
        return passThrough(await instructorApi.events(token, classId, req.signal), { 'x-accel-buffering': 'no' });
      case 'GET export':
        return passThrough(await instructorApi.export(token, classId, q.get('format') === 'csv' ? 'csv' : 'json'));
      case 'POST broadcast': {
        const b = await body(req);
        const goto = b.goto as { lesson?: string; step?: string } | undefined;
        return json(
          201,
          await instructorApi.broadcast(token, {
            classId: String(b.classId ?? ''),
            ...(typeof b.message === 'string' && b.message.trim() ? { message: b.message } : {}),
            ...(goto?.lesson ? { goto: { lesson: goto.lesson, ...(goto.step ? { step: goto.step } : {}) } } : {}),
          }),
        );
      }
      case 'POST end':
        return json(200, await instructorApi.end(token, String((await body(req)).classId ?? '')));
      default:
        return json(404, { error: 'no such instructor route' });
    }
  } catch (e) {
    if (e instanceof BodyTooLarge) return tooLargeResponse(e);
    if (e instanceof LabdError) return json(e.status, { error: e.message, hint: e.hint });
    if ((e as Error).name === 'AbortError') return new Response(null, { status: 499 });
    console.error('instructor api:', e);
    return json(500, { error: (e as Error).message });
  }
}

export { handle as GET, handle as POST, handle as DELETE };
