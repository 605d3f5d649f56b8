/** Test support: reads a labd text/event-stream and lets a test wait for an event. */
export interface SseEvent {
  event: string;
  data: any;
  at: number;
}

export class SseReader {
  events: SseEvent[] = [];
  status = 0;
  private waiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  ended = false;

  static async open(url: string, token: string): Promise<SseReader> {
    const r = new SseReader();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: r.abort.signal });
    r.status = res.status;
    if (!res.ok || !res.body) {
      r.ended = true;
      await res.text().catch(() => '');
      return r;
    }
    void r.pump(res.body);
    return r;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of body) {
        buf += dec.decode(chunk, { stream: true });
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) this.events.push({ event, data: JSON.parse(data.join('\n')), at: Date.now() });
          for (const w of this.waiters.splice(0)) w();
        }
      }
    } catch {
      /* aborted */
    }
    this.ended = true;
    for (const w of this.waiters.splice(0)) w();
  }

  async waitFor(pred: (e: SseEvent) => boolean, what: string, ms = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline || this.ended) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.map((e) => e.event))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  close(): void {
    this.abort.abort();
  }
}
