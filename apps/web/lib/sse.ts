import { parseEvent, type SseEventName, type SseEventOf, type SseKey } from '@ebpf-lab/api';

/**
 * Listens for one named event of a labd event stream (the web relays them unchanged) and hands on
 * only what fits that event's schema in packages/api (SSE_EVENTS), typed by it: the web declares no
 * event shapes of its own. An event that does not fit is logged with the field that is wrong and
 * dropped, so a page never renders half a roster.
 */
export function onSseEvent<K extends SseKey, E extends SseEventName<K>>(es: EventSource, key: K, event: E, handle: (data: SseEventOf<K, E>) => void): void {
  es.addEventListener(event, (ev) => {
    let data: SseEventOf<K, E>;
    try {
      data = parseEvent(key, event, JSON.parse((ev as MessageEvent<string>).data));
    } catch (e) {
      console.error(`eBPF Lab: dropped a "${event}" event of ${key} that does not fit its schema: ${(e as Error).message}`);
      return;
    }
    handle(data);
  });
}
