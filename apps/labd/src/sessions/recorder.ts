import { RECORDER_LIMIT_CHARS } from '@ebpf-lab/protocol';

/**
 * Index just past the escape sequence starting at `esc`, or -1 when it is unfinished within `s`.
 * Only the forms a shell emits matter: CSI (ESC [ … final), OSC/DCS (ESC ] … BEL or ST), and
 * two-character escapes.
 */
function sequenceEnd(s: string, esc: number): number {
  const kind = s[esc + 1];
  if (kind === undefined) return -1;
  if (kind === '[') {
    for (let i = esc + 2; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x40 && c <= 0x7e) return i + 1;
      if (c < 0x20 || (c > 0x3f && c < 0x40)) return i; // malformed: stop at the odd byte
    }
    return -1;
  }
  if (kind === ']' || kind === 'P' || kind === '_' || kind === '^') {
    for (let i = esc + 2; i < s.length; i++) {
      if (s[i] === '\x07') return i + 1;
      if (s[i] === '\x1b' && s[i + 1] === '\\') return i + 2;
    }
    return -1;
  }
  return esc + 2;
}

/** How far back an unfinished escape sequence is looked for; real ones are short. */
const ESC_LOOKBACK = 64;

/**
 * Moves a cut point forward so the kept text does not start inside an escape sequence or a
 * surrogate pair (a replay that starts mid-sequence would print garbage or mis-set colours).
 */
export function safeCut(s: string, cut: number): number {
  const esc = s.lastIndexOf('\x1b', cut - 1);
  if (esc >= 0 && cut - esc <= ESC_LOOKBACK) {
    const end = sequenceEnd(s, esc);
    if (end === -1) return s.length; // the sequence runs past this chunk: drop the chunk's rest
    if (end > cut) cut = end;
  }
  const c = s.charCodeAt(cut);
  if (c >= 0xdc00 && c <= 0xdfff) cut++;
  return Math.min(cut, s.length);
}

/**
 * Bounded record of a session's output for replay on reattach. Chunks are kept as received and
 * whole chunks are dropped from the front, so appending costs O(chunk), never O(limit).
 */
export class Recorder {
  private chunks: string[] = [];
  private size = 0;

  constructor(readonly limit = RECORDER_LIMIT_CHARS) {}

  get length(): number {
    return this.size;
  }

  push(data: string): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.size += data.length;
    while (this.size > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        continue;
      }
      const kept = first.slice(safeCut(first, excess));
      this.size -= first.length - kept.length;
      if (kept.length) this.chunks[0] = kept;
      else this.chunks.shift();
    }
  }

  text(): string {
    // Collapsing to one chunk keeps later replays cheap.
    if (this.chunks.length > 1) this.chunks = [this.chunks.join('')];
    return this.chunks[0] ?? '';
  }
}
