import type { FastifyInstance } from 'fastify';
import { sessionOf } from '../request-session';
import { sampledCharts, type ChartSource } from '../chart-source';

/**
 * Chart series by prefix or by name: from Prometheus when console.prometheus.url is set (and it
 * answers), else from the console's own sampling. The answer's `source` says which.
 */
export function registerChartRoutes(api: FastifyInstance, source?: ChartSource): void {
  api.get('/charts', async (req) => {
    const { resources } = sessionOf(req);
    const q = req.query as { prefix?: string; names?: string };
    const query = { prefix: q.prefix ?? '', ...(q.names ? { names: q.names.split(',').filter(Boolean) } : {}) };
    return source ? source.charts(resources, query) : sampledCharts(resources, query);
  });

  api.post('/charts/sample', async (req) => {
    const { sampler } = sessionOf(req).resources;
    await sampler.sampleOnce();
    return { lastSampleAt: sampler.lastSampleAt, lastError: sampler.lastError };
  });
}
