'use client';
import dynamic from 'next/dynamic';
import { useEffect, useState } from 'react';
import { BroadcastForm } from './broadcast-form';
import { ClassLanguageSwitch } from './class-language';
import { RosterTable } from './roster-table';
import type { Roster } from '@ebpf-lab/lab-spec';
import type { Broadcast } from '@ebpf-lab/api';
import { onSseEvent } from '@/lib/sse';

const ROOM_EVENTS = 'GET /v1/classes/events';

const FollowView = dynamic(() => import('./follow-view.client'), { ssr: false, loading: () => <div className="follow-host">…</div> });

export interface RoomLesson {
  slug: string;
  title: string;
  steps: { id: string; title: string }[];
}

/**
 * The instructor's live room: the roster (pushed by labd through the web as server-sent events,
 * at most a second behind), a read-only follow view of one learner's terminal, broadcasts,
 * exports and the end of the class.
 */
export function Room({ initial, lessons }: { initial: Roster; lessons: RoomLesson[] }) {
  const [roster, setRoster] = useState(initial);
  const [live, setLive] = useState(false);
  const [sent, setSent] = useState<Broadcast[]>([]);
  const [following, setFollowing] = useState<string | null>(null);
  const [ending, setEnding] = useState<string | null>(null);
  const classId = initial.class.id;

  useEffect(() => {
    const es = new EventSource(`/instructor/api/events?class=${encodeURIComponent(classId)}`);
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    onSseEvent(es, ROOM_EVENTS, 'roster', (r) => {
      setRoster(r);
      setLive(true);
    });
    onSseEvent(es, ROOM_EVENTS, 'broadcasts', setSent);
    onSseEvent(es, ROOM_EVENTS, 'broadcast', (b) => setSent((xs) => (xs.some((x) => x.id === b.id) ? xs : [...xs, b])));
    return () => es.close();
  }, [classId]);

  const end = async () => {
    if (!window.confirm(`End "${roster.class.name}"? Every learner's lab is taken down; results are kept.`)) return;
    setEnding('ending…');
    const res = await fetch('/instructor/api/end', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ classId }) });
    const j = (await res.json().catch(() => ({}))) as { reaped?: string[]; errors?: string[]; error?: string };
    setEnding(
      res.ok
        ? `ended: ${j.reaped?.length ?? 0} labs taken down${j.errors?.length ? `, ${j.errors.length} errors: ${j.errors.join('; ')}` : ''}`
        : `could not end: ${j.error}`,
    );
  };

  const [origin, setOrigin] = useState('');
  useEffect(() => setOrigin(window.location.origin), []);
  const joinUrl = `${origin}/join/${roster.class.code}`;
  const followed = roster.learners.find((l) => l.learnerId === following);
  const ended = roster.class.endedAt !== null;
  return (
    <main className="instructor" data-testid="room" data-live={String(live)}>
      <div className="room-head">
        <h1>{roster.class.name}</h1>
        <span>
          Join code{' '}
          <span className="join-code" data-testid="join-code">
            {roster.class.code}
          </span>
        </span>
        <a href={joinUrl} data-testid="join-url">
          {joinUrl}
        </a>
        <ClassLanguageSwitch classId={classId} language={roster.class.language ?? 'en'} />
        <span className="muted">
          {live ? '● live' : '○ reconnecting…'}
          {ended ? ` · ended ${new Date(roster.class.endedAt!).toLocaleString()}` : ''}
        </span>
      </div>
      <p className="muted">Stuck means {roster.stuckRule}.</p>
      <div className="room-grid">
        <section>
          <RosterTable rows={roster.learners} following={following} onFollow={setFollowing} />
          <BroadcastForm classId={classId} lessons={lessons} disabled={ended} />
          {sent.length > 0 && (
            <ol className="broadcast-log" data-testid="broadcast-log">
              {sent.slice(-8).map((b) => (
                <li key={b.id}>
                  {new Date(b.createdAt).toLocaleTimeString()} —{' '}
                  {b.kind === 'goto' ? `go to ${b.lesson}${b.step ? ` → ${b.step}` : ''}${b.message ? `: ${b.message}` : ''}` : b.message}
                </li>
              ))}
            </ol>
          )}
          <div className="room-actions">
            <a href={`/instructor/api/export?class=${classId}&format=csv`} data-testid="export-csv">
              Export CSV
            </a>
            <a href={`/instructor/api/export?class=${classId}&format=json`} data-testid="export-json">
              Export JSON
            </a>
            <button type="button" onClick={() => void end()} disabled={ended || ending === 'ending…'} data-testid="end-class">
              End class
            </button>
            {ending && (
              <span className="muted" data-testid="end-result">
                {ending}
              </span>
            )}
          </div>
        </section>
        <section>
          {followed ? (
            <div className="follow-panel" data-testid="follow-panel" data-learner={followed.learnerId}>
              <header>
                <span>
                  Following <strong>{followed.displayName}</strong> — read-only
                </span>
                <button type="button" onClick={() => setFollowing(null)}>
                  Close
                </button>
              </header>
              <FollowView key={followed.learnerId} classId={classId} learnerId={followed.learnerId} />
            </div>
          ) : (
            <p className="muted">Follow a learner to watch their terminal here (read-only).</p>
          )}
        </section>
      </div>
    </main>
  );
}
