import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWakeup } from '../../src/lifecycle/background.js';

/** Resolves to true when `p` settles before the fake clock moves. */
async function settlesNow(p: Promise<void>): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true));
  await vi.advanceTimersByTimeAsync(0);
  return settled;
}

describe('createWakeup (the idle waits of the background loops)', () => {
  afterEach(() => vi.useRealTimers());

  it('a wake while no loop is idle (mid-pass) ends the next idle at once, and only that one', async () => {
    vi.useFakeTimers();
    const wakeup = createWakeup();
    wakeup.wake();
    expect(await settlesNow(wakeup.idle(60_000))).toBe(true);
    const next = wakeup.idle(60_000);
    expect(await settlesNow(next)).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await settlesNow(next)).toBe(true);
  });

  it('a wake ends every idle wait, and an idle wait that timed out does not swallow the next wake', async () => {
    vi.useFakeTimers();
    const wakeup = createWakeup();
    const a = wakeup.idle(60_000);
    const b = wakeup.idle(60_000);
    wakeup.wake();
    expect(await settlesNow(Promise.all([a, b]).then(() => undefined))).toBe(true);
    const timedOut = wakeup.idle(10);
    await vi.advanceTimersByTimeAsync(10);
    expect(await settlesNow(timedOut)).toBe(true);
    wakeup.wake();
    expect(await settlesNow(wakeup.idle(60_000))).toBe(true);
  });
});
