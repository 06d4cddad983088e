import { createServer, type AddressInfo, type Server } from 'node:net';
import { ephemeralPortRange, firstFreePort, freePort, handOutRange, isPortFree, portCursor } from './free-port';

describe('handOutRange', () => {
  it('hands out ports below the kernel ephemeral range when there is room', () => {
    expect(handOutRange([32768, 60999])).toEqual([10000, 32767]);
  });

  it('uses ports above the ephemeral range when there is no room below', () => {
    expect(handOutRange([1024, 49151])).toEqual([49152, 65535]);
  });

  it('leaves the choice to the kernel when the ephemeral range covers nearly everything', () => {
    expect(handOutRange([1024, 65000])).toBeUndefined();
  });
});

describe('freePort', () => {
  it('returns distinct bindable ports outside the ephemeral range', async () => {
    const [ephLo, ephHi] = ephemeralPortRange();
    const range = handOutRange();
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      if (range) expect(port < ephLo || port > ephHi).toBe(true);
      expect(await isPortFree(port)).toBe(true);
    }
  });

  it('skips a port something already listens on', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const taken = (server.address() as AddressInfo).port;
    try {
      expect(await isPortFree(taken)).toBe(false);
      const next = portCursor([taken, taken + 8 * 4 - 1], 0, 0);
      const port = await firstFreePort(next);
      expect(port).toBeGreaterThan(taken);
      expect(port).toBeLessThan(taken + 4);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('portCursor', () => {
  it('walks one slice per worker and wraps within it', () => {
    const next = portCursor([20000, 20079], 2, 8);
    expect([next(), next(), next()]).toEqual([20028, 20029, 20020]);
  });
});
