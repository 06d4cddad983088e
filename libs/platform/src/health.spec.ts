import { get } from 'node:http';
import { createServer } from 'node:net';
import { readinessOf, startHealthServer, type HealthServer } from './health';

function fetchJson(port: number, path: string, method = 'GET'): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, method }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
  });
}

/** A port the kernel just handed out and released. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('health endpoint', () => {
  let server: HealthServer | undefined;
  afterEach(async () => server?.close());

  it('binds nothing when health.port is 0', async () => {
    server = await startHealthServer({ port: 0, readiness: () => ({ ready: true, reasons: [] }) });
    expect(server.port).toBe(0);
  });

  it('answers /livez while the loop runs and /readyz with the service judgement, 503 with reasons when not ready', async () => {
    let state = readinessOf([[false, 'not registered'], [true, 'never shown']]);
    server = await startHealthServer({ port: await freePort(), readiness: () => state });
    const live = await fetchJson(server.port, '/livez');
    expect(live.status).toBe(200);
    expect(live.body.live).toBe(true);
    expect(typeof live.body.eventLoopDelayP99Ms).toBe('number');
    expect(await fetchJson(server.port, '/readyz')).toEqual({ status: 503, body: { ready: false, reasons: ['not registered'] } });
    state = readinessOf([[true, 'not registered']]);
    expect(await fetchJson(server.port, '/readyz?verbose')).toEqual({ status: 200, body: { ready: true, reasons: [] } });
    expect((await fetchJson(server.port, '/metrics')).status).toBe(404);
    expect((await fetchJson(server.port, '/readyz', 'POST')).status).toBe(405);
  });

  it('reports a failing check as not ready instead of crashing', async () => {
    server = await startHealthServer({ port: await freePort(), readiness: () => { throw new Error('view closed'); } });
    expect(await fetchJson(server.port, '/readyz')).toEqual({ status: 503, body: { ready: false, reasons: ['readiness check failed: view closed'] } });
  });

  it('says which port it could not bind', async () => {
    const port = await freePort();
    server = await startHealthServer({ port, readiness: () => ({ ready: true, reasons: [] }) });
    await expect(startHealthServer({ port, readiness: () => ({ ready: true, reasons: [] }) })).rejects.toThrow(`cannot start health endpoint on 127.0.0.1:${port}`);
  });
});
