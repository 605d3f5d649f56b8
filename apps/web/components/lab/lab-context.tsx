'use client';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Locale } from '@/lib/i18n';
import { Progress } from '@ebpf-lab/api';
import { explain, labApi, labUrl, type CheckResultView, type LabView } from './lab-api';

/** A start's progress as the panel shows it: labd's events, or the page's own "starting" before the first. */
type ShownProgress = Omit<Progress, 'message'> & { message?: string };

type Sender = (text: string) => void;

interface LabContextValue {
  labId: string;
  locale: Locale;
  /** The lab's steps in order; `editor` is the file a step's learner edits (lab.yaml steps[].editor.open). */
  stepTitles: { id: string; title: string; editor?: string }[];
  /** The file the editor opens when the current step names none (lab.yaml editor.open). */
  editorFile?: string;
  /** The lab's drivers from lab.yaml; the panel offers a choice when there are several. */
  drivers: string[];
  lab: LabView | null;
  progress: ShownProgress | null;
  error: string | null;
  results: Record<string, CheckResultView | undefined>;
  check(step: string): Promise<void>;
  reset(): Promise<void>;
  /** Takes the lab down (labd caps labs per learner, so a learner stops the ones they are done with). */
  stop(): Promise<void>;
  /** Starts (from down or error) or resets the lab on `driver`; a refusal is thrown to the caller. */
  runOn(driver: string, how: 'start' | 'reset'): Promise<void>;
  retry(): void;
  /** Types text into the active terminal (queued until one is attached). */
  run(text: string): void;
  /** The active terminal registers how to send to it; returns an unregister function. */
  setSender(send: Sender | null): void;
}

const LabContext = createContext<LabContextValue | null>(null);

export function useLab(): LabContextValue | null {
  return useContext(LabContext);
}

/**
 * Owns the lesson's lab: starts it on first view (idempotent on labd), follows its progress
 * events, and keeps check results. The first call is a plain GET so that the learner cookie is set
 * by exactly one request before the stream, the start and the terminal go out together.
 */
export function LabProvider({
  labId,
  locale,
  steps,
  drivers = [],
  editorFile,
  children,
}: {
  labId: string;
  locale: Locale;
  steps: { id: string; title: string; editor?: string }[];
  drivers?: string[];
  editorFile?: string;
  children: ReactNode;
}) {
  const [lab, setLab] = useState<LabView | null>(null);
  const [progress, setProgress] = useState<ShownProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<Record<string, CheckResultView | undefined>>({});
  const [attempt, setAttempt] = useState(0);
  const sender = useRef<Sender | null>(null);
  const pending = useRef<string[]>([]);
  const resetFollow = useRef<() => void>(() => {});
  useEffect(() => () => resetFollow.current(), []);

  // Follows a start's progress; labd ends the stream at ready/error, or at once when nothing is
  // starting. Whatever ended it, GET the state, and follow again while the lab is still starting.
  const follow = useCallback(
    (isCurrent: () => boolean): (() => void) => {
      let es: EventSource | null = null;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const open = () => {
        const src = new EventSource(labUrl(labId, 'events'));
        es = src;
        const settle = () => {
          src.close();
          labApi.state(labId).then(
            (s) => {
              if (!isCurrent() || es !== src) return;
              setLab(s);
              if (s.state === 'starting') timer = setTimeout(open, 300);
            },
            (e: Error) => isCurrent() && setError(explain(e)),
          );
        };
        src.onmessage = (ev) => {
          if (!isCurrent()) return src.close();
          // Events are labd's, passed through by the web: parsed with the contract, not trusted by shape.
          const parsed = Progress.safeParse(JSON.parse(ev.data as string));
          if (!parsed.success) return settle();
          const p = parsed.data;
          // A 'down' without a fraction is labd saying nothing is starting; a reset's 'down' has one.
          const idle = p.phase === 'down' && p.fraction === undefined;
          if (!idle) setProgress(p);
          if (p.phase === 'ready' || p.phase === 'error' || idle) settle();
        };
        src.onerror = settle;
      };
      open();
      return () => {
        clearTimeout(timer);
        es?.close();
        es = null;
      };
    },
    [labId],
  );

  useEffect(() => {
    let current = true;
    let stopFollowing = () => {};
    const isCurrent = () => current;
    setError(null);
    (async () => {
      let s = await labApi.state(labId);
      if (!current) return;
      setLab(s);
      if (s.state === 'ready') return;
      setProgress({ phase: 'starting', fraction: 0 });
      s = await labApi.start(labId); // returns at once; the start runs in labd's background
      if (!current) return;
      setLab(s);
      if (s.state === 'starting') stopFollowing = follow(isCurrent);
    })().catch((e: Error) => current && setError(explain(e)));
    return () => {
      current = false;
      stopFollowing();
    };
  }, [labId, attempt, follow]);

  const value = useMemo<LabContextValue>(
    () => ({
      labId,
      locale,
      stepTitles: steps,
      editorFile,
      drivers,
      lab,
      progress,
      error,
      results,
      async check(step) {
        const out = await labApi.checks(labId, step).catch((e: Error): CheckResultView[] => [{ step, status: 'error', message: e.message }]);
        setResults((r) => ({ ...r, ...Object.fromEntries(out.map((x) => [x.step, x])) }));
      },
      async reset() {
        setResults({});
        setProgress({ phase: 'reset', fraction: 0 });
        setLab((l) => (l ? { ...l, state: 'starting' } : l));
        // labd answers at once and rebuilds the lab in the background: follow it like a start.
        try {
          const s = await labApi.reset(labId);
          setLab(s);
          if (s.state === 'starting') {
            resetFollow.current();
            resetFollow.current = follow(() => true);
          }
        } catch (e) {
          setError(explain(e as Error));
        }
      },
      async stop() {
        try {
          setLab(await labApi.stop(labId));
          setProgress(null);
        } catch (e) {
          setError(explain(e as Error));
        }
      },
      async runOn(driver, how) {
        const before = lab;
        setError(null);
        setProgress({ phase: how, fraction: 0 });
        setLab((l) => (l ? { ...l, state: 'starting' } : l));
        let s: LabView;
        try {
          s = await (how === 'start' ? labApi.start(labId, driver) : labApi.reset(labId, driver));
        } catch (e) {
          setLab(before);
          throw e;
        }
        if (how === 'reset') setResults({});
        setLab(s);
        if (s.state === 'starting') {
          resetFollow.current();
          resetFollow.current = follow(() => true);
        }
      },
      retry: () => setAttempt((a) => a + 1),
      run(text) {
        if (sender.current) sender.current(text);
        else pending.current.push(text);
      },
      setSender(send) {
        sender.current = send;
        if (send) for (const t of pending.current.splice(0)) send(t);
      },
    }),
    [labId, locale, steps, editorFile, drivers, lab, progress, error, results, follow],
  );

  return <LabContext.Provider value={value}>{children}</LabContext.Provider>;
}
