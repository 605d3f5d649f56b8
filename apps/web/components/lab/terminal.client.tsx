'use client';
import '@xterm/xterm/css/xterm.css';
import { ClipboardAddon } from '@xterm/addon-clipboard';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import { messages, type Locale } from '@/lib/i18n';
import { useLab } from './lab-context';
import { TerminalSocket, type TerminalStatus } from './terminal-socket';

function socketUrl(labId: string, node: string): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}/api/lab/terminal?lab=${encodeURIComponent(labId)}&node=${encodeURIComponent(node)}`;
}

/** One lab node's shell: xterm.js on a TerminalSocket through the web's own origin. */
export default function TerminalView({ labId, node, active, locale }: { labId: string; node: string; active: boolean; locale: Locale }) {
  const t = messages(locale);
  const ctx = useLab();
  const host = useRef<HTMLDivElement>(null);
  const handle = useRef<{ term: Terminal; socket: TerminalSocket; fit: FitAddon; search: SearchAddon } | null>(null);
  const [status, setStatus] = useState<{ s: TerminalStatus; detail?: string }>({ s: 'connecting' });
  const [searching, setSearching] = useState(false);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({
      allowProposedApi: true, // the unicode11 addon uses the proposed unicode API
      // No blinking: xterm restarts the blink animation on every keystroke, so each keydown asks for
      // a frame, and Chromium holds the page's other tasks (the echo's WebSocket message among them)
      // until that frame is drawn: ~10 ms more to every echo and ~15 ms to its paint
      // (scripts/profile-terminal.ts shows the message landing right after that frame).
      cursorBlink: false,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
      fontSize: 13,
      scrollback: 10_000,
      theme: { background: '#1b1e24', foreground: '#e6e6e6' },
    });
    const fit = new FitAddon();
    const search = new SearchAddon();
    const unicode = new Unicode11Addon();
    for (const addon of [fit, search, unicode, new WebLinksAddon(), new ClipboardAddon()]) term.loadAddon(addon);
    term.unicode.activeVersion = '11';
    term.open(el);

    const socket = new TerminalSocket(socketUrl(labId, node), {
      write: (text, done) => term.write(text, done),
      reset: () => term.reset(),
      status: (s, detail) => setStatus({ s, detail }),
    });
    term.onData((d) => socket.send(d));
    const refit = () => {
      if (!el.offsetParent) return; // hidden tab: keep the last size
      fit.fit();
      socket.resize(term.cols, term.rows);
    };
    const observer = new ResizeObserver(refit);
    observer.observe(el);
    refit();
    socket.connect();
    handle.current = { term, socket, fit, search };
    return () => {
      observer.disconnect();
      socket.dispose();
      term.dispose();
      handle.current = null;
    };
  }, [labId, node]);

  useEffect(() => {
    if (!active || !ctx) return;
    const h = handle.current;
    if (!h) return;
    h.term.focus();
    // Run blocks type into the terminal in view; each line ends in Enter like a person typing it.
    ctx.setSender((text) => {
      h.socket.send(`${text.replace(/\r?\n/g, '\r')}\r`);
      h.term.focus();
    });
    return () => ctx.setSender(null);
  }, [active, ctx]);

  const label =
    status.s === 'reconnecting' || status.s === 'connecting'
      ? t.reconnecting
      : status.s === 'exited'
        ? t.exited
        : status.s === 'refused'
          ? (status.detail ?? 'refused')
          : '';
  return (
    <div className="terminal" data-testid={`terminal-${node}`} data-status={status.s}>
      <div className="terminal-toolbar">
        {status.s !== 'open' && (
          <span className="terminal-status" data-testid="terminal-status" role="status">
            {status.s === 'connecting' ? '…' : label}
          </span>
        )}
        {searching && (
          <input
            className="terminal-search"
            autoFocus
            placeholder="search"
            aria-label="search the terminal"
            onKeyDown={(e) => {
              if (e.key === 'Enter') handle.current?.search.findNext(e.currentTarget.value);
              if (e.key === 'Escape') {
                setSearching(false);
                handle.current?.term.focus();
              }
            }}
          />
        )}
        <button type="button" className="icon" title="search" onClick={() => setSearching((s) => !s)}>
          ⌕
        </button>
      </div>
      <div className="terminal-host" ref={host} />
    </div>
  );
}
