import type { FastifyInstance } from 'fastify';
import { logDirs, overviewOf } from '../cluster-reader';
import { sessionOf } from '../request-session';

/** Brokers (as clients see them: the gateways), controller, partition counts and their health, storage log dirs. */
export function registerOverviewRoutes(api: FastifyInstance): void {
  api.get('/overview', async (req) => {
    const { client } = sessionOf(req).resources;
    const [md, dirs] = await Promise.all([client.metadata(), logDirs(client)]);
    return { ...overviewOf(md), logDirs: dirs };
  });
}
