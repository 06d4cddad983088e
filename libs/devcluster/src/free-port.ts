import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Free ports for services that bind later (another process, moments from now).
 *
 * A port the kernel hands out for `listen(0)` comes from the ephemeral range, the same range it
 * uses for the source port of every outgoing connection; between our check and the service's bind,
 * any connection on the machine (a client to etcd, a broker to a gateway) can take it, and the
 * service dies with EADDRINUSE. So ports are handed out below (or above) the ephemeral range, where
 * the kernel never picks on its own, from a slice per test worker and a cursor that does not repeat
 * within a process; every candidate is still checked free before it is handed out.
 */

const LOWEST = 10_000;
const MIN_RANGE = 4_000;
const SLICES = 8;

/** The kernel's ephemeral port range (Linux), or the IANA default where it cannot be read. */
export function ephemeralPortRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi) && lo > 0 && hi >= lo && hi < 65536) return [lo, hi];
  } catch {
    // not Linux, or no procfs: fall through
  }
  return [49152, 65535];
}

/** Ports outside the ephemeral range to hand out from, or undefined when there are too few. */
export function handOutRange(ephemeral = ephemeralPortRange()): [number, number] | undefined {
  const [ephLo, ephHi] = ephemeral;
  if (ephLo - LOWEST >= MIN_RANGE) return [LOWEST, ephLo - 1];
  if (65535 - ephHi >= MIN_RANGE) return [ephHi + 1, 65535];
  return undefined;
}

function workerSlice(): number {
  const id = Number(process.env.JEST_WORKER_ID ?? 0);
  return Number.isInteger(id) && id > 0 ? id % SLICES : 0;
}

/** Candidates from this worker's slice of `range`, starting `start` ports in and never repeating until it wraps. */
export function portCursor(range: [number, number], slice: number, start: number): () => number {
  const [lo, hi] = range;
  const sliceSize = Math.max(1, Math.floor((hi - lo + 1) / SLICES));
  const sliceLo = lo + (slice % SLICES) * sliceSize;
  let at = start % sliceSize;
  return () => {
    const port = sliceLo + at;
    at = (at + 1) % sliceSize;
    return port;
  };
}

/** The first candidate that is free on `host` within `tries`, or undefined. */
export async function firstFreePort(next: () => number, host = '127.0.0.1', tries = 200): Promise<number | undefined> {
  for (let i = 0; i < tries; i++) {
    const port = next();
    if (await isPortFree(port, host)) return port;
  }
  return undefined;
}

let cursor: (() => number) | undefined;

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A free TCP port on `host` (127.0.0.1 by default) that the kernel will not hand to a connection. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const range = handOutRange();
  if (range) {
    cursor ??= portCursor(range, workerSlice(), Math.floor(Math.random() * (range[1] - range[0])));
    const port = await firstFreePort(cursor, host);
    if (port !== undefined) return port;
  }
  return kernelPort(host);
}

/** True when nothing listens on `port` (we can bind it ourselves right now). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** `preferred` when it is a usable free port, else a fresh free port. */
export async function reusePort(preferred: number | undefined, host = '127.0.0.1'): Promise<number> {
  if (preferred && Number.isInteger(preferred) && preferred > 0 && preferred < 65536 && (await isPortFree(preferred, host))) {
    return preferred;
  }
  return freePort(host);
}
