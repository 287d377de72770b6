import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** Something that runs beside the HTTP server for the app's lifetime: a listener, a loop, a worker. */
export interface Background {
  start(): void | Promise<void>;
  /** Stops it and waits for work in flight (called when the app closes). */
  stop(): void | Promise<void>;
}

/**
 * Ties a background part to the app's lifecycle, the one way every part is started and stopped:
 * started once the app is ready (unless `enabled` is false), stopped when it closes.
 */
export function runWithApp(app: FastifyInstance, part: Background, options: { enabled?: boolean } = {}): void {
  if (options.enabled !== false) app.addHook('onReady', async () => part.start());
  app.addHook('onClose', async () => part.stop());
}

/**
 * A task run every `intervalMs` (and once at start), never overlapping itself; a failure is
 * logged and the next tick tries again. Timers are unref'd, so they never keep a process alive.
 */
export function everyInterval(
  name: string,
  intervalMs: number,
  run: () => Promise<unknown>,
  log: FastifyBaseLogger,
): Background & { runNow(): Promise<void> } {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  function tick(): Promise<void> {
    running ??= run()
      .then(() => undefined)
      .catch((err: unknown) => log.error({ err, task: name }, 'background task failed'))
      .finally(() => {
        running = null;
      });
    return running;
  }
  return {
    start() {
      if (timer) return;
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
      void tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    runNow: tick,
  };
}

/**
 * Idle waits of a background loop that wake() ends early (a NOTIFY, new work queued, stop()):
 * a loop that found nothing to do waits `idle(pollMs)`, and whoever makes work calls wake().
 */
export function createWakeup() {
  let waiters: Array<() => void> = [];
  return {
    wake(): void {
      const current = waiters;
      waiters = [];
      for (const resolve of current) resolve();
    },
    idle(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        waiters.push(done);
      });
    },
  };
}
