// Kept apart from protocol.ts so the check child (child.ts) does not load zod: it only splits lines.
import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into lines, calling `onLine` for each; `onOverflow` when a line grows past
 * `max` without a newline (then nothing more is delivered), so a runaway writer cannot fill memory.
 * A line is kept as a list of pieces and each chunk is searched once, so a long line costs its
 * length, not its length squared; one decoder for the stream, so a character split across two
 * chunks stays one character.
 */
export function lineSplitter(max: number, onLine: (line: string) => void, onOverflow: () => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  let pieces: string[] = [];
  let held = 0;
  let dead = false;
  return (chunk) => {
    if (dead) return;
    const text = decoder.write(chunk);
    let from = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', from)) >= 0) {
      const tail = text.slice(from, nl);
      const length = held + tail.length;
      const line = pieces.length ? pieces.join('') + tail : tail;
      pieces = [];
      held = 0;
      from = nl + 1;
      if (length > max) {
        dead = true;
        onOverflow();
        return;
      }
      if (line.trim()) onLine(line);
    }
    if (from < text.length) {
      pieces.push(text.slice(from));
      held += text.length - from;
    }
    if (held > max) {
      dead = true;
      pieces = [];
      onOverflow();
    }
  };
}
