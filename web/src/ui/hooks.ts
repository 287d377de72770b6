import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from '../api';
import { onLive, onResync, type FeedItem } from '../live';

export interface Loaded<T> {
  data: T | undefined;
  error: string;
  loading: boolean;
  reload: () => void;
  setData: (update: (old: T | undefined) => T | undefined) => void;
}

/** Loads `load()` whenever a dependency changes; the error is the API envelope's message. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load().then(
      (value) => {
        if (!current) return;
        setDataState(value);
        setError('');
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
        setError(messageOf(err));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData: setDataState };
}

/** Runs one user action at a time, keeping its error (envelope message) and its done note. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState('');
  const run = useCallback(async (action: () => Promise<string | void>) => {
    setBusy(true);
    setError('');
    setDone('');
    try {
      const note = await action();
      setDone(note ?? '');
      return true;
    } catch (err) {
      setError(messageOf(err));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, done, run, setError };
}

/** Calls `listener` for every live message while the component is mounted. */
export function useLive(listener: (item: FeedItem) => void): void {
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => onLive((item) => ref.current(item)), []);
}

/** Calls `reload` when the live stream comes back after a drop (it may have missed changes). */
export function useResync(reload: () => void): void {
  const ref = useRef(reload);
  ref.current = reload;
  useEffect(() => onResync(() => ref.current()), []);
}

/** A re-render at the next animation frame, however many times it is asked for before then (busy streams). */
export function useFrameRender(): () => void {
  const [, setTick] = useState(0);
  const pending = useRef(0);
  useEffect(() => () => cancelAnimationFrame(pending.current), []);
  return useCallback(() => {
    if (pending.current) return;
    pending.current = requestAnimationFrame(() => {
      pending.current = 0;
      setTick((t) => t + 1);
    });
  }, []);
}
