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
 * A wake while no loop is idle (every loop mid-pass, perhaps one whose claim ran before the new
 * work committed) is kept: the next idle() returns at once instead of sleeping on it.
 */
export function createWakeup() {
  let waiters: Array<() => void> = [];
  let missed = false;
  return {
    wake(): void {
      if (waiters.length === 0) {
        missed = true;
        return;
      }
      const current = waiters;
      waiters = [];
      for (const resolve of current) resolve();
    },
    idle(ms: number): Promise<void> {
      if (missed) {
        missed = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== done);
          resolve();
        }
        waiters.push(done);
      });
    },
  };
}
