import type { FastifyInstance } from 'fastify';
import { overviewOf } from '../cluster-reader';
import { sessionOf } from '../request-session';

/** Brokers (as clients see them: the gateways), controller, partition counts and their health. */
export function registerOverviewRoutes(api: FastifyInstance): void {
  api.get('/overview', async (req) => {
    const { client } = sessionOf(req).resources;
    return overviewOf(await client.metadata());
  });
}
