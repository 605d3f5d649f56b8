'use client';
import '@xterm/xterm/css/xterm.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import { TerminalSocket, type TerminalStatus } from '@/components/lab/terminal-socket';

function followUrl(classId: string, learnerId: string): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}/instructor/api/follow?class=${encodeURIComponent(classId)}&learner=${encodeURIComponent(learnerId)}`;
}

/**
 * A learner's terminal, watched: xterm with stdin disabled on a socket that never sends input
 * (labd drops a follower's input anyway). When the learner's shell ends or their lab is reset,
 * it follows the next one.
 */
export default function FollowView({ classId, learnerId }: { classId: string; learnerId: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<{ s: TerminalStatus | 'waiting'; detail?: string }>({ s: 'connecting' });

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({
      disableStdin: true,
      cursorBlink: false,
      fontSize: 12,
      scrollback: 5000,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
      theme: { background: '#1b1e24', foreground: '#e6e6e6' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    let socket: TerminalSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let disposed = false;
    const open = () => {
      if (disposed) return;
      socket = new TerminalSocket(followUrl(classId, learnerId), {
        write: (text, done) => term.write(text, done),
        reset: () => term.reset(),
        hello: () => setStatus({ s: 'open' }),
        status: (s, detail) => {
          setStatus({ s: s === 'open' ? 'waiting' : s, detail });
          // A shell that ended is followed again: the learner's next shell (or new lab) shows up.
          if (s === 'exited') {
            socket?.dispose();
            timer = setTimeout(open, 1000);
          }
        },
      });
      socket.connect();
    };
    const observer = new ResizeObserver(() => {
      if (el.offsetParent) fit.fit();
    });
    observer.observe(el);
    fit.fit();
    open();
    return () => {
      disposed = true;
      clearTimeout(timer);
      observer.disconnect();
      socket?.dispose();
      term.dispose();
    };
  }, [classId, learnerId]);

  const label =
    status.s === 'open'
      ? 'live, read-only'
      : status.s === 'waiting'
        ? "waiting for the learner's terminal…"
        : status.s === 'refused'
          ? `refused: ${status.detail ?? ''}`
          : status.s;
  return (
    <div className="follow-host-wrap" style={{ display: 'contents' }}>
      <div className="muted" data-testid="follow-status" data-status={status.s} style={{ padding: '2px 8px' }}>
        {label}
      </div>
      <div className="follow-host" ref={host} data-testid="follow-terminal" />
    </div>
  );
}
