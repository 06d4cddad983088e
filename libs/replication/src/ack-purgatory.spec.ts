import { ACK_NOT_LEADER, ACK_OK, ACK_REQUEST_TIMED_OUT, AckPurgatory } from './ack-purgatory';

describe('AckPurgatory deadline sweep', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Records the order in which waiters finish and with which code. */
  function track(p: AckPurgatory) {
    const finished: string[] = [];
    const wait = (name: string, offset: bigint, timeoutMs: number) =>
      void p.wait(offset, timeoutMs).then((code) => finished.push(`${name}:${code}`));
    return { finished, wait };
  }

  it('expires waiters in deadline order, whatever their offsets, with one timer', async () => {
    const p = new AckPurgatory();
    const { finished, wait } = track(p);
    wait('a', 10n, 300);
    wait('b', 20n, 100);
    wait('c', 30n, 200);
    wait('d', 40n, 100);
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(99);
    expect(finished).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(finished).toEqual([`b:${ACK_REQUEST_TIMED_OUT}`, `d:${ACK_REQUEST_TIMED_OUT}`]);
    await jest.advanceTimersByTimeAsync(100);
    expect(finished.slice(2)).toEqual([`c:${ACK_REQUEST_TIMED_OUT}`]);
    expect(p.size).toBe(1);
    await jest.advanceTimersByTimeAsync(100);
    expect(finished.slice(3)).toEqual([`a:${ACK_REQUEST_TIMED_OUT}`]);
    expect(p.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('completion before the deadline wins, and a completed waiter never times out', async () => {
    const p = new AckPurgatory();
    const { finished, wait } = track(p);
    wait('a', 5n, 100);
    wait('b', 9n, 200);
    p.onProgress(5n, 3, 2);
    await jest.advanceTimersByTimeAsync(0);
    expect(finished).toEqual([`a:${ACK_OK}`]);
    await jest.advanceTimersByTimeAsync(150);
    expect(finished).toEqual([`a:${ACK_OK}`]); // a's deadline passed: nothing more
    p.onProgress(9n, 3, 2);
    await jest.advanceTimersByTimeAsync(0);
    expect(finished).toEqual([`a:${ACK_OK}`, `b:${ACK_OK}`]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(finished).toHaveLength(2);
    expect(jest.getTimerCount()).toBe(0); // the left-over sweep found nobody and stopped
  });

  it('an earlier deadline arriving later re-arms the timer sooner', async () => {
    const p = new AckPurgatory();
    const { finished, wait } = track(p);
    wait('slow', 1n, 30_000);
    wait('fast', 2n, 50);
    await jest.advanceTimersByTimeAsync(50);
    expect(finished).toEqual([`fast:${ACK_REQUEST_TIMED_OUT}`]);
    p.failAll();
    await jest.advanceTimersByTimeAsync(0);
    expect(finished).toEqual([`fast:${ACK_REQUEST_TIMED_OUT}`, `slow:${ACK_NOT_LEADER}`]);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(finished).toHaveLength(2);
  });

  it('one timer serves one request after another (none armed per request)', async () => {
    const p = new AckPurgatory();
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    for (let i = 1; i <= 100; i++) {
      const w = p.wait(BigInt(i), 30_000);
      p.onProgress(BigInt(i), 3, 2);
      expect(await w).toBe(ACK_OK);
    }
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    setTimeoutSpy.mockRestore();
  });

  it('keeps its deadline heap bounded when waiters complete long before their deadlines', async () => {
    const p = new AckPurgatory();
    let ok = 0;
    for (let i = 1; i <= 10_000; i++) {
      void p.wait(BigInt(i), 30_000).then((c) => (ok += c === ACK_OK ? 1 : 0));
      p.onProgress(BigInt(i - 1), 3, 2); // completes the previous one
    }
    p.onProgress(10_000n, 3, 2);
    await jest.advanceTimersByTimeAsync(0);
    expect(ok).toBe(10_000);
    expect(p.size).toBe(0);
    expect((p as unknown as { byDeadline: { size: number } }).byDeadline.size).toBe(0);
  });
});
