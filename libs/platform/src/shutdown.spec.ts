import { installShutdownHandlers, onShutdown, resetShutdownForTests, shutdown } from './shutdown';

afterEach(() => resetShutdownForTests());

describe('shutdown', () => {
  it('runs hooks once in reverse order on SIGTERM, then exits 0', async () => {
    const order: string[] = [];
    const exits: number[] = [];
    installShutdownHandlers({ exit: (c) => exits.push(c), deadlineMs: 1000 });
    onShutdown(() => void order.push('first'));
    onShutdown(async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push('second');
    });
    const unregister = onShutdown(() => void order.push('removed'));
    unregister();
    process.emit('SIGTERM', 'SIGTERM');
    await shutdown(); // same promise as the signal's run
    await shutdown();
    expect(order).toEqual(['second', 'first']);
    expect(exits).toEqual([0]);
  });

  it('exits 1 when the deadline passes', async () => {
    const exits: number[] = [];
    installShutdownHandlers({ exit: (c) => exits.push(c), deadlineMs: 50 });
    onShutdown(() => new Promise(() => undefined));
    const t0 = Date.now();
    await shutdown();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(exits).toEqual([1]);
  });

  it('exits 1 when a hook throws but still runs the others', async () => {
    const exits: number[] = [];
    let ran = false;
    installShutdownHandlers({ exit: (c) => exits.push(c) });
    onShutdown(() => void (ran = true));
    onShutdown(() => {
      throw new Error('boom');
    });
    await shutdown();
    expect(ran).toBe(true);
    expect(exits).toEqual([1]);
  });

  it('logs and exits 1 on an unhandled rejection', () => {
    const exits: number[] = [];
    const logged: object[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      installShutdownHandlers({
        exit: (c) => exits.push(c),
        logger: { info: () => undefined, error: (o) => logged.push(o) },
      });
      process.emit('unhandledRejection', new Error('lost'), Promise.resolve());
      expect(exits).toEqual([1]);
      expect(logged[0]).toMatchObject({ origin: 'unhandledRejection' });
      expect(String(stderr.mock.calls[0][0])).toContain('lost');
    } finally {
      stderr.mockRestore();
    }
  });
});
