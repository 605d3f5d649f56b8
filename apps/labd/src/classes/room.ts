import type { Broadcast } from './class-store.ts';
import type { Roster } from '@ebpf-lab/lab-spec';
import type { SseStream } from '../http/sse.ts';
import { buildRoster, type RosterDeps } from './roster.ts';

/**
 * How often a watched class's roster is recomputed. Check results, lab starts and terminals are
 * recorded by other parts of labd; reading them back once a second (one cheap pass per class,
 * shared by every instructor tab watching it) keeps the room within its 2 s promise without
 * hooks in the lab API. A change is pushed at the next tick; an unchanged roster sends nothing.
 */
export const ROSTER_TICK_MS = 1000;

/** Senders of the two streams (http/sse.ts): each takes only its stream's events (packages/api SSE_EVENTS). */
type ClassSend = SseStream<'GET /v1/classes/events'>['send'];
type LearnerSend = SseStream<'GET /v1/classes/learner-events'>['send'];

interface ClassWatch {
  sends: Set<ClassSend>;
  timer: NodeJS.Timeout;
  last: string;
  busy: boolean;
}

/** What an instructor's room and a learner's banner listen to: rosters, broadcasts, the end of a class. */
export class Rooms {
  private classes = new Map<string, ClassWatch>();
  private learners = new Map<string, Set<LearnerSend>>();

  constructor(private readonly deps: RosterDeps) {}

  async roster(classId: string): Promise<Roster | null> {
    const cls = this.deps.classes.get(classId);
    return cls ? buildRoster(this.deps, cls) : null;
  }

  /** Sends the roster now, then whenever it changes, plus every broadcast of the class. */
  watchClass(classId: string, send: ClassSend): () => void {
    let w = this.classes.get(classId);
    if (!w) {
      const timer = setInterval(() => void this.tick(classId), ROSTER_TICK_MS);
      timer.unref();
      w = { sends: new Set(), timer, last: '', busy: false };
      this.classes.set(classId, w);
    }
    w.sends.add(send);
    if (w.last) send('roster', JSON.parse(w.last));
    else void this.tick(classId);
    return () => {
      const cur = this.classes.get(classId);
      if (!cur) return;
      cur.sends.delete(send);
      if (cur.sends.size === 0) {
        clearInterval(cur.timer);
        this.classes.delete(classId);
      }
    };
  }

  /** Recomputes a watched class's roster at once (after a join, a broadcast or the end). */
  poke(classId: string): void {
    if (this.classes.has(classId)) void this.tick(classId);
  }

  private async tick(classId: string): Promise<void> {
    const w = this.classes.get(classId);
    if (!w || w.busy) return;
    w.busy = true;
    try {
      const roster = await this.roster(classId);
      const text = JSON.stringify(roster);
      if (text !== w.last && this.classes.get(classId) === w) {
        w.last = text;
        for (const s of [...w.sends]) s('roster', roster);
      }
    } catch (e) {
      process.stderr.write(`labd: roster of ${classId}: ${(e as Error).stack ?? String(e)}\n`);
    } finally {
      w.busy = false;
    }
  }

  /**
   * A learner's stream: broadcasts of every active class they are in. On connect it repeats the
   * newest message of each (so a banner survives moving to the next page) but never a "go to",
   * which would send the learner back each time a page loads.
   */
  watchLearner(learnerId: string, send: LearnerSend): () => void {
    let set = this.learners.get(learnerId);
    if (!set) this.learners.set(learnerId, (set = new Set()));
    set.add(send);
    for (const classId of this.deps.classes.activeClassesOf(learnerId)) {
      const cls = this.deps.classes.get(classId)!;
      send('class', { classId, name: cls.name, lessons: cls.lessons });
      const lastMessage = this.deps.classes
        .broadcasts(classId)
        .filter((b) => b.kind === 'message')
        .at(-1);
      if (lastMessage) send('broadcast', { ...lastMessage, replay: true });
    }
    return () => {
      set.delete(send);
      if (set.size === 0 && this.learners.get(learnerId) === set) this.learners.delete(learnerId);
    };
  }

  publish(b: Broadcast): void {
    for (const s of [...(this.classes.get(b.classId)?.sends ?? [])]) s('broadcast', b);
    for (const m of this.deps.classes.members(b.classId)) for (const s of [...(this.learners.get(m.learnerId) ?? [])]) s('broadcast', b);
  }

  ended(classId: string, endedAt: string): void {
    for (const s of [...(this.classes.get(classId)?.sends ?? [])]) s('ended', { classId, endedAt });
    for (const m of this.deps.classes.members(classId)) for (const s of [...(this.learners.get(m.learnerId) ?? [])]) s('ended', { classId, endedAt });
    this.poke(classId);
  }

  close(): void {
    for (const w of this.classes.values()) clearInterval(w.timer);
    this.classes.clear();
    this.learners.clear();
  }
}
