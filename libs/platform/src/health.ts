// The HTTP health endpoint of a service (health.port): what Kubernetes probes and compose
// healthchecks ask. Liveness is that the event loop answers at all; readiness is the service's
// own judgement (a broker: registered, caught up on every replica it follows, log dirs online).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** A service's answer to "may traffic come here now": `reasons` says why not, one line each. */
export interface Readiness {
  ready: boolean;
  reasons: string[];
}

export interface HealthServerOptions {
  /** 0 disables the endpoint (nothing is bound). */
  port: number;
  /** Defaults to 127.0.0.1, like metrics.host. */
  host?: string;
  /** Called on each GET /readyz; a throw counts as not ready with its message. */
  readiness: () => Readiness | Promise<Readiness>;
}

export interface HealthServer {
  /** The bound port, 0 when disabled. */
  port: number;
  close(): Promise<void>;
}

export const LIVENESS_PATH = '/livez';
export const READINESS_PATH = '/readyz';

/** Readiness built from named conditions: ready when every one holds; the failing ones are the reasons. */
export function readinessOf(conditions: ReadonlyArray<readonly [holds: boolean, reason: string]>): Readiness {
  const reasons = conditions.filter(([holds]) => !holds).map(([, reason]) => reason);
  return { ready: reasons.length === 0, reasons };
}

/**
 * Serves GET /livez (200 while the event loop runs; the body carries its p99 delay) and GET
 * /readyz (200 ready, 503 not ready, JSON with the reasons). Anything else is 404, a non-GET 405.
 */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  if (!opts.port) return { port: 0, close: async () => undefined };
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const server = createServer((req, res) => {
    void answer(req, res, opts.readiness, () => delay.percentile(99) / 1e6);
  });
  const host = opts.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    delay.disable();
    throw new Error(`cannot start health endpoint on ${host}:${opts.port}: ${(err as Error).message}`);
  }
  server.unref();
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  let closed: Promise<void> | undefined;
  return {
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        delay.disable();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, readiness: HealthServerOptions['readiness'], loopDelayP99Ms: () => number): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== LIVENESS_PATH && path !== READINESS_PATH) return send(res, 404, { error: `no such path ${path}; try ${LIVENESS_PATH} or ${READINESS_PATH}` });
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'only GET' });
  if (path === LIVENESS_PATH) return send(res, 200, { live: true, eventLoopDelayP99Ms: Math.round(loopDelayP99Ms() * 10) / 10 });
  let r: Readiness;
  try {
    r = await readiness();
  } catch (err) {
    r = { ready: false, reasons: [`readiness check failed: ${(err as Error).message}`] };
  }
  send(res, r.ready ? 200 : 503, r);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
