import type { FastifyInstance } from 'fastify';
import { sessionOf } from '../request-session';

/** The console's own samples: series names by prefix, and the points of chosen series. */
export function registerChartRoutes(api: FastifyInstance): void {
  api.get('/charts', async (req) => {
    const { sampler } = sessionOf(req).resources;
    const q = req.query as { prefix?: string; names?: string };
    const names = q.names ? q.names.split(',').filter(Boolean) : sampler.store.names(q.prefix ?? '');
    return {
      intervalMs: sampler.intervalMs,
      lastSampleAt: sampler.lastSampleAt,
      lastError: sampler.lastError,
      series: names.slice(0, 200).map((name) => ({ name, points: sampler.store.get(name) })),
    };
  });

  api.post('/charts/sample', async (req) => {
    const { sampler } = sessionOf(req).resources;
    await sampler.sampleOnce();
    return { lastSampleAt: sampler.lastSampleAt, lastError: sampler.lastError };
  });
}
