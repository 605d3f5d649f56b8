import { findLab } from '../engine.ts';
import { guards, tokenOf } from '../http/auth.ts';
import { HOST_KERNEL_DRIVERS, type Policy } from '../core/policy.ts';
import { RateLimiter } from '../core/rate-limit.ts';
import { createLearnerFor } from '../core/learners.ts';
import { checkAnswer, reply, requestOf } from '../http/contract.ts';
import { Conflict, Forbidden, Gone, Invalid, NotFound, TooMany } from '../errors.ts';
import type { Router } from '../http/http.ts';
import { normalizeCode, type ClassRow } from './class-store.ts';
import { endClass } from './end-class.ts';
import { classResults, resultsCsv } from './export.ts';
import type { Rooms } from './room.ts';
import { labSteps, type RosterDeps } from './roster.ts';
import { openSse } from '../http/sse.ts';

/**
 * Wrong join codes are throttled per client (the browser's address, which the web passes on):
 * past WRONG_CODE_LIMIT misses in a minute that client's lookups are refused with 429 until the
 * minute is over, so codes cannot be enumerated, and no one else is locked out by it.
 */
const WRONG_CODE_LIMIT = 30;
const WRONG_CODE_WINDOW_MS = 60_000;
/** How long an instructor's sign-in session lasts; signing in again opens a new one. */
export const INSTRUCTOR_SESSION_MS = 12 * 3600_000;

export interface ClassRouteDeps extends RosterDeps {
  rooms: Rooms;
  policy: Policy;
  newLearners: RateLimiter;
}

/** The instructor endpoints (and the service's join/lookup/learner-events) of docs/api.md § Classes. */
export function addClassRoutes(r: Router, deps: ClassRouteDeps): void {
  const auth = guards(deps.store);
  const { classes, rooms } = deps;
  const misses = new RateLimiter(WRONG_CODE_LIMIT, WRONG_CODE_WINDOW_MS);

  const classOf = (idOrNull: string | null): ClassRow => {
    if (!idOrNull) throw new Invalid('class', 'missing class id', 'pass ?class=<classId> (or classId in the body)');
    const c = classes.get(idOrNull);
    if (!c) throw new NotFound(`no class "${idOrNull.slice(0, 64)}"`, 'list classes with GET /v1/classes');
    return c;
  };
  const byCode = (raw: string, client: string | undefined): ClassRow => {
    const key = client ?? 'service';
    if (misses.blocked(key))
      throw new TooMany('too many wrong join codes from this address', `wait ${misses.retryAfterS(key)} s and check the code`, {
        retryAfterS: misses.retryAfterS(key),
      });
    const code = normalizeCode(raw);
    const c = code ? classes.byCode(code) : null;
    if (!c) {
      misses.hit(key);
      throw new NotFound('no class has this join code', 'check the code with your instructor');
    }
    return c;
  };
  const publicView = (c: ClassRow) => ({ classId: c.id, name: c.name, language: c.language, lessons: c.lessons, ended: c.endedAt !== null });
  const summary = (c: ClassRow) => ({
    classId: c.id,
    name: c.name,
    code: c.code,
    language: c.language,
    joinPath: `/join/${c.code}`,
    lessons: c.lessons,
    createdAt: c.createdAt,
    endedAt: c.endedAt,
  });

  // Sign-in sessions: opened with the instructor token itself (a session cannot open another, so
  // one never outlives its 12 h), ended with the session's own token.
  r.add('POST', '/v1/instructor/sessions', auth.instructor, async ({ res }, p) => {
    if (p.session) throw new Forbidden('a session token cannot open another session', 'sign in with the instructor token');
    reply(res, 'POST /v1/instructor/sessions', deps.store.openInstructorSession(INSTRUCTOR_SESSION_MS));
  });
  r.add('DELETE', '/v1/instructor/sessions', auth.instructor, async ({ req, res, url }, p) => {
    if (!p.session)
      throw new Invalid(
        'authorization',
        'this is the instructor token, not a session',
        'send the session token to end; rotate the instructor token by replacing <stateDir>/instructor-token',
      );
    deps.store.endInstructorSession(tokenOf(req, url, false)!);
    reply(res, 'DELETE /v1/instructor/sessions', { ok: true });
  });

  r.add('POST', '/v1/classes', auth.instructor, async ({ req, res }) => {
    const body = await requestOf(req, 'POST /v1/classes');
    for (const l of body.lessons) {
      if (!l.labId) continue;
      let drivers: string[];
      try {
        drivers = findLab(l.labId).spec.drivers;
      } catch (e) {
        throw new Invalid('lessons', `lesson "${l.slug}": lab "${l.labId}" is not available on this server`, (e as Error).message);
      }
      // A class is many learners: a lab that only runs on the host's kernel cannot be isolated between them.
      if (!deps.policy.trustLearners && drivers.every((d) => HOST_KERNEL_DRIVERS.has(d))) {
        throw new Forbidden(
          `lesson "${l.slug}": lab "${l.labId}" runs only on ${drivers.join(', ')}, which shares this host's kernel and root with every lab shell, so labd does not serve it to a class`,
          'give the lab the vm driver, or, if every learner may be root on this host, start labd with --trust-learners (ELAB_TRUST_LEARNERS=1)',
          { reason: 'isolation' },
        );
      }
    }
    const c = classes.create(
      body.name,
      body.lessons.map((l) => ({ slug: l.slug, title: l.title, labId: l.labId ?? null })),
      body.language ?? 'en',
    );
    reply(res, 'POST /v1/classes', summary(c));
  });

  // Also after the end: the class's results and lessons stay, so its language may still be corrected.
  r.add('POST', '/v1/classes/language', auth.instructor, async ({ req, res }) => {
    const body = await requestOf(req, 'POST /v1/classes/language');
    const c = classOf(body.classId);
    classes.setLanguage(c.id, body.language);
    rooms.poke(c.id);
    reply(res, 'POST /v1/classes/language', summary(classes.get(c.id)!));
  });

  r.add('GET', '/v1/classes', auth.instructor, async ({ res }) => {
    reply(res, 'GET /v1/classes', { classes: classes.list().map((c) => ({ ...summary(c), members: c.members })) });
  });

  r.add('GET', '/v1/classes/roster', auth.instructor, async ({ res, url }) => {
    const c = classOf(url.searchParams.get('class'));
    // Classes are never deleted, so a class found a moment ago has a roster; the contract says never null.
    const roster = await rooms.roster(c.id);
    if (!roster) throw new NotFound(`no class "${c.id}"`, 'list classes with GET /v1/classes');
    reply(res, 'GET /v1/classes/roster', roster);
  });

  r.add('GET', '/v1/classes/events', auth.instructor, async ({ req, res, url }) => {
    const c = classOf(url.searchParams.get('class'));
    const sse = openSse(req, res, 'GET /v1/classes/events');
    sse.send('broadcasts', classes.broadcasts(c.id));
    const stop = rooms.watchClass(c.id, sse.send);
    await sse.closed;
    stop();
  });

  r.add('POST', '/v1/classes/broadcast', auth.instructor, async ({ req, res }) => {
    const body = await requestOf(req, 'POST /v1/classes/broadcast');
    const c = classOf(body.classId);
    if (c.endedAt) throw new Conflict('the class has ended');
    let b;
    if (body.goto) {
      const lesson = c.lessons.find((l) => l.slug === body.goto!.lesson);
      if (!lesson) throw new NotFound(`lesson "${body.goto.lesson}" is not in this class`, `lessons: ${c.lessons.map((l) => l.slug).join(', ')}`);
      const step = body.goto.step;
      if (step && !(lesson.labId && labSteps(lesson.labId).some((s) => s.id === step))) throw new NotFound(`lesson "${lesson.slug}" has no step "${step}"`);
      b = classes.addBroadcast(c.id, { kind: 'goto', lesson: lesson.slug, step: step ?? null, message: body.message ?? null });
    } else {
      b = classes.addBroadcast(c.id, { kind: 'message', message: body.message! });
    }
    rooms.publish(b);
    reply(res, 'POST /v1/classes/broadcast', b);
  });

  r.add('GET', '/v1/classes/export', auth.instructor, async ({ res, url }) => {
    const c = classOf(url.searchParams.get('class'));
    const format = url.searchParams.get('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new Invalid('format', `unknown format "${format.slice(0, 10)}"`, 'format=json or format=csv');
    const e = classResults(classes, deps.store, c);
    // The CSV has the JSON's rows, so one check covers both formats.
    checkAnswer('GET /v1/classes/export', e);
    const stamp = e.exportedAt.slice(0, 19).replace(/[:T]/g, '-');
    const name = `class-${c.code}-${stamp}.${format}`;
    const data = Buffer.from(format === 'csv' ? resultsCsv(e) : JSON.stringify(e, null, 2));
    res.writeHead(200, {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
      'content-length': data.length,
      'cache-control': 'no-store',
    });
    res.end(data);
  });

  r.add('POST', '/v1/classes/end', auth.instructor, async ({ req, res }) => {
    const c = classOf((await requestOf(req, 'POST /v1/classes/end')).classId);
    const report = await endClass(deps, c);
    rooms.ended(c.id, report.endedAt);
    reply(res, 'POST /v1/classes/end', report);
  });

  // The web (service token) acts for learners: it knows who they are from their signed cookie.
  r.add('GET', '/v1/classes/lookup', auth.service, async ({ res, url }) => {
    reply(res, 'GET /v1/classes/lookup', publicView(byCode(url.searchParams.get('code') ?? '', url.searchParams.get('client')?.slice(0, 100) || undefined)));
  });

  r.add('POST', '/v1/classes/join', auth.service, async ({ req, res }) => {
    const body = await requestOf(req, 'POST /v1/classes/join');
    const c = byCode(body.code, body.client);
    if (c.endedAt) throw new Gone('this class has ended', 'ask your instructor for the code of a running class');
    const learner =
      (body.learnerId && deps.store.getLearner(body.learnerId)) || createLearnerFor(deps.store, deps.policy, deps.newLearners, body.displayName, body.client);
    const m = classes.join(c.id, learner.id, body.displayName);
    rooms.poke(c.id);
    // A class member gets no lab on the host's kernel (policy.ts): one already running ends now.
    const stoppedLabs = await deps.manager.endHostKernelLabs(learner.id);
    const notice = stoppedLabs.length
      ? `your running lab${stoppedLabs.length > 1 ? 's' : ''} ${stoppedLabs.join(', ')} ran on this host's kernel (netns), which labd does not serve to a class member; ${stoppedLabs.length > 1 ? 'they were' : 'it was'} stopped and your progress is kept. Start it again from the lesson, on another driver (vm).`
      : undefined;
    // A fresh browser session comes with every join: the web's cookie carries it.
    const session = deps.store.openLearnerSession(learner.id, deps.policy.learnerSessionMs);
    reply(res, 'POST /v1/classes/join', {
      learnerId: learner.id,
      displayName: m.displayName,
      joinedAt: m.joinedAt,
      ...publicView(c),
      ...session,
      stoppedLabs,
      ...(notice ? { notice } : {}),
    });
  });

  r.add('GET', '/v1/classes/learner-events', auth.service, async ({ req, res, url }) => {
    const learnerId = url.searchParams.get('learner') ?? '';
    if (!deps.store.getLearner(learnerId)) throw new NotFound('no such learner');
    const sse = openSse(req, res, 'GET /v1/classes/learner-events');
    const stop = rooms.watchLearner(learnerId, sse.send);
    await sse.closed;
    stop();
  });
}
