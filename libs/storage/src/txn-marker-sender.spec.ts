// The coordinator's side of WriteTxnMarkers: one call per leader broker carrying all its
// partitions, answers merged back per partition, and the cases that need no call at all.
import type { Server, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ClusterView } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { createLogger } from '@dms/platform';
import { StorageServiceService, bindServer, createGrpcServer, stopServer, type WriteTxnMarkersRequest } from '@dms/rpc';
import { TxnMarkerSender } from './txn-marker-sender';

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await stopServer(s, 1000);
});

/** A storage broker whose WriteTxnMarkers records each request and answers `code` per partition. */
async function broker(code: (topic: string, partition: number) => number | 'fail') {
  const seen: WriteTxnMarkersRequest[] = [];
  const server = createGrpcServer();
  server.addService(StorageServiceService, {
    writeTxnMarkers: (call: { request: WriteTxnMarkersRequest }, cb: (err: Error | null, res?: unknown) => void) => {
      seen.push(call.request);
      const m = call.request.markers[0];
      if (m.partitions.some((p) => code(p.topic, p.partition) === 'fail')) return cb(new Error('broker down'));
      cb(null, { markers: [{ producerId: m.producerId, partitions: m.partitions.map((p) => ({ ...p, errorCode: code(p.topic, p.partition) })) }] });
    },
  } as unknown as UntypedServiceImplementation);
  const port = await bindServer(server, '127.0.0.1', 0);
  servers.push(server);
  return { port, seen };
}

describe('TxnMarkerSender', () => {
  it('groups partitions per leader, merges the answers, skips deleted topics and reports leaderless partitions', async () => {
    const b1 = await broker(() => ErrorCode.NONE);
    const b2 = await broker((_t, p) => (p === 3 ? ErrorCode.NOT_ENOUGH_REPLICAS : ErrorCode.NONE));
    const b3 = await broker(() => 'fail');
    const leaders: Record<string, number> = { 'a-0': 1, 'a-1': 2, 'a-2': 1, 'a-3': 2, 'a-4': -1, 'b-0': 3 };
    const ports: Record<number, number> = { 1: b1.port, 2: b2.port, 3: b3.port };
    const view = {
      topic: (t: string) => (t === 'a' || t === 'b' ? { partitions: 5 } : undefined),
      partitions: (t: string) => new Map(Object.entries(leaders).filter(([k]) => k.startsWith(`${t}-`)).map(([k, leader]) => [Number(k.split('-')[1]), { leader }])),
      broker: (id: number) => (ports[id] ? { id, host: '127.0.0.1', port: ports[id] } : undefined),
    } as unknown as ClusterView;
    const sender = new TxnMarkerSender(view, createLogger({ service: 'spec', level: 'silent' }));
    const marker = { producerId: 9n, producerEpoch: 2, committed: true, coordinatorEpoch: 4 };
    const tps = ['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'b-0', 'gone-0'].map((k) => ({ topic: k.split('-')[0], partition: Number(k.split('-')[1]) }));
    const results = await sender.write(marker, tps);
    sender.close();
    const byKey = Object.fromEntries(results.map((r) => [`${r.topic}-${r.partition}`, r.errorCode]));
    expect(byKey).toEqual({
      'a-0': ErrorCode.NONE,
      'a-1': ErrorCode.NONE,
      'a-2': ErrorCode.NONE,
      'a-3': ErrorCode.NOT_ENOUGH_REPLICAS,
      'a-4': ErrorCode.NOT_LEADER_OR_FOLLOWER,
      'b-0': ErrorCode.REQUEST_TIMED_OUT,
      'gone-0': ErrorCode.NONE,
    });
    expect(b1.seen).toEqual([expect.objectContaining({ markers: [{ ...marker, partitions: [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 2 }] }] })]);
    expect(b2.seen).toEqual([expect.objectContaining({ markers: [{ ...marker, partitions: [{ topic: 'a', partition: 1 }, { topic: 'a', partition: 3 }] }] })]);
  });
});
