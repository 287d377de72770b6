export interface GroupCommitOptions<I, R> {
  /** How long the first item of a group waits for company before the group is written. */
  maxWaitMs: number;
  /** A group is written at once when it reaches this size. */
  maxItems: number;
  /** Groups being written at the same time (each holds one database connection). */
  maxInFlight: number;
  /** Writes a group and answers one result per item, in order; must not reject for one item's sake. */
  run(items: I[]): Promise<R[]>;
}

interface Waiter<I, R> {
  item: I;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Group commit: concurrent callers are gathered for a millisecond or two (or until a group is
 * full) and written together (one commit); each caller's promise settles after that commit. When
 * every connection slot is busy, arrivals keep gathering, so groups grow with the load.
 */
export function createGroupCommit<I, R>(options: GroupCommitOptions<I, R>) {
  let pending: Array<Waiter<I, R>> = [];
  let timer: NodeJS.Timeout | null = null;
  let inFlight = 0;
  let idle: Array<() => void> = [];

  function settleIdle() {
    if (inFlight > 0 || pending.length > 0) return;
    const waiting = idle;
    idle = [];
    for (const done of waiting) done();
  }

  function flush(): void {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    while (pending.length > 0 && inFlight < options.maxInFlight) {
      const group = pending.length > options.maxItems ? pending.splice(0, options.maxItems) : pending;
      if (group === pending) pending = [];
      inFlight++;
      options
        .run(group.map((w) => w.item))
        .then(
          (results) => group.forEach((w, i) => w.resolve(results[i] as R)),
          (err: unknown) => group.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          inFlight--;
          // Items that gathered while every slot was busy have waited long enough.
          if (pending.length > 0) flush();
          else settleIdle();
        });
    }
  }

  return {
    submit(item: I): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (pending.length >= options.maxItems) flush();
        else if (!timer && inFlight < options.maxInFlight) timer = setTimeout(flush, options.maxWaitMs);
      });
    },
    /** Resolves when nothing is pending or being written. */
    drain(): Promise<void> {
      if (pending.length > 0 && !timer && inFlight === 0) flush();
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        settleIdle();
      });
    },
  };
}

export type GroupCommit<I, R> = ReturnType<typeof createGroupCommit<I, R>>;
