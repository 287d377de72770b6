import type { LiveEvents } from './types';

export type LiveName = keyof LiveEvents;
export interface FeedItem<K extends LiveName = LiveName> {
  seq: number;
  at: string;
  name: K;
  data: LiveEvents[K];
}
export type LiveState = 'connecting' | 'open' | 'retrying' | 'ended';

/** The event names GET /stream sends (src/live/live-hub.ts); add a name here when the server adds one. */
const NAMES: LiveName[] = ['event_ingested', 'score_update', 'surge', 'trigger_fired'];
const FEED_SIZE = 200;

let source: EventSource | null = null;
let seq = 0;
let feed: FeedItem[] = [];
let state: LiveState = 'ended';
let endedReason = '';
const listeners = new Set<(item: FeedItem) => void>();
const stateListeners = new Set<() => void>();
const resyncListeners = new Set<() => void>();

function setState(next: LiveState, reason = '') {
  state = next;
  endedReason = reason;
  for (const l of stateListeners) l();
}

/** Follows the active OU's stream (the session cookie authenticates it); a new OU means a new stream. */
export function connectLive(): void {
  disconnectLive();
  feed = [];
  const es = new EventSource('/stream', { withCredentials: true });
  source = es;
  setState('connecting');
  es.onopen = () => {
    // Messages sent while the stream was down are lost (no replay): screens reload what they show.
    if (state === 'retrying') for (const l of resyncListeners) l();
    setState('open');
  };
  // EventSource retries by itself after a dropped connection; a refused one (401/403) closes it.
  es.onerror = () => setState(es.readyState === EventSource.CLOSED ? 'ended' : 'retrying', 'the live stream was refused');
  es.addEventListener('access_ended', () => {
    es.close();
    setState('ended', 'access to this OU ended');
  });
  for (const name of NAMES) {
    es.addEventListener(name, (e) => {
      const item: FeedItem = { seq: ++seq, at: new Date().toISOString(), name, data: JSON.parse((e as MessageEvent<string>).data) };
      feed = [item, ...feed].slice(0, FEED_SIZE);
      for (const l of listeners) l(item);
    });
  }
}

export function disconnectLive(): void {
  source?.close();
  source = null;
  setState('ended');
}

export const liveFeed = () => feed;
export const liveState = () => ({ state, reason: endedReason });

export function onLive(listener: (item: FeedItem) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
export function onLiveState(listener: () => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

/** Called when the stream reconnects after a drop: what it missed must be read again. */
export function onResync(listener: () => void): () => void {
  resyncListeners.add(listener);
  return () => resyncListeners.delete(listener);
}
