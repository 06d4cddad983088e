// The gateway's consumer path with reused answer buffers (internal.stream.transport=framed,
// decision 0042), end to end in one process over real sockets: a storage broker's framed Fetch
// route (pooled answer frames) -> the gateway's framed Fetch stream, whose answers spread over
// http2 chunks are gathered into leases of a ReadBufferPool -> GatewayStoragePort and the Kafka
// Fetch handler -> KafkaConnection, which ends the leases from the socket write callback ->
// many Kafka clients at once, each reading its own partition and checking every batch's CRC and
// every record's bytes (decoded by our codec, as our client does). A lease ended before its bytes left would let a later answer overwrite
// a response still being written.
import { EventEmitter } from 'node:events';
import { once } from 'node:events';
import { connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { trace } from '@opentelemetry/api';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ClusterView } from '@dms/cluster';
import { ApiKey, buildRecordBatch, decodeRecordBatches, decodeResponse, encodeRequest } from '@dms/kafka-codec';
import type { ClusterPort, RequestContext } from '@dms/kafka-handlers';
import {
  ReadBufferPool,
  StorageServiceService,
  bindServer,
  createGrpcServer,
  serveLeanFetch,
  stopServer,
  type FetchRequest,
  type FetchResponse,
  type ServerMessageStream,
} from '@dms/rpc';
import { BrokerClients } from './broker-clients';
import { releaseFetchAnswers } from './fetch-leases';
import { KafkaConnection } from './kafka-connection';
import { GatewayStoragePort } from './storage-port';

jest.setTimeout(90_000);

const TOPIC = 'reuse';
const TOPIC_ID = '6f1d2c3b-0000-4000-8000-00000000beef';
const PARTITIONS = 8;
const BATCHES = 32;
const RECORDS_PER_BATCH = 4;
const VALUE_BYTES = 16_000;

/** The bytes of record `offset` of `partition`: different for every record of every partition. */
function valueOf(partition: number, offset: number): Buffer {
  const v = Buffer.allocUnsafe(VALUE_BYTES);
  let x = (partition * 2654435761 + offset * 40503 + 1) >>> 0;
  for (let i = 0; i < VALUE_BYTES; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    v[i] = x >>> 24;
  }
  return v;
}

/** Each partition's log: its batches in offset order. */
async function buildLogs(): Promise<Buffer[][]> {
  return Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => {
    const batches: Buffer[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const base = b * RECORDS_PER_BATCH;
      batches.push(await buildRecordBatch({
        baseOffset: BigInt(base),
        records: Array.from({ length: RECORDS_PER_BATCH }, (_, r) => ({ value: valueOf(p, base + r), timestamp: 1_700_000_000_000 })),
      }));
    }
    return batches;
  }));
}

/** A broker answering from `logs` as handleFetch does: whole batches from the fetch offset, up to the partition's max bytes (at least one). */
function brokerFetch(logs: Buffer[][]) {
  const end = BigInt(BATCHES * RECORDS_PER_BATCH);
  return (call: ServerMessageStream<FetchRequest, FetchResponse>) => {
    call.on('data', (m) => {
      if (m.partitions.length === 0) return; // a wake: nothing parked here
      call.write({
        correlationId: m.correlationId,
        partitions: m.partitions.map((p) => {
          const picked: Buffer[] = [];
          let bytes = 0;
          for (let b = Number(p.fetchOffset) / RECORDS_PER_BATCH; b < BATCHES; b++) {
            const batch = logs[p.partition]![b]!;
            if (picked.length > 0 && bytes + batch.length > p.partitionMaxBytes) break;
            picked.push(batch);
            bytes += batch.length;
          }
          return { topic: p.topic, partition: p.partition, errorCode: 0, highWatermark: end, lastStableOffset: end, logStartOffset: 0n, records: Buffer.concat(picked), abortedTransactions: [] };
        }),
      });
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
}

/** The cluster metadata this test needs: one broker leads every partition of one topic. */
function staticView(port: number): ClusterView {
  const view = new EventEmitter() as EventEmitter & { brokers(): { id: number; host: string; port: number }[] };
  view.brokers = () => [{ id: 1, host: '127.0.0.1', port }];
  return view as unknown as ClusterView;
}

function clusterPort(): ClusterPort {
  const topic = { name: TOPIC, topicId: TOPIC_ID, partitions: Array.from({ length: PARTITIONS }, () => ({ storageLeader: 1 })) };
  return {
    topic: (n: string) => (n === TOPIC ? topic : undefined),
    topicById: (id: string) => (id === TOPIC_ID ? topic : undefined),
    finalizedFeatures: () => undefined, // ApiVersions (the client's first request)
  } as unknown as ClusterPort;
}

const fetchRequest = (partition: number, offset: bigint, partitionMaxBytes: number) => ({
  replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 50 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
  topics: [{ topic: TOPIC, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes }] }],
  forgottenTopicsData: [], rackId: '',
});

describe('gateway Fetch answers gathered into reused buffers', () => {
  const stops: (() => unknown)[] = [];
  afterAll(async () => {
    for (const s of stops.reverse()) await s();
  });

  it('many consumers reading different partitions at once receive every byte as stored', async () => {
    const logs = await buildLogs();
    const broker = createGrpcServer();
    const serve = brokerFetch(logs);
    broker.addService(StorageServiceService, { fetch: serve } as unknown as UntypedServiceImplementation);
    const brokerPort = await bindServer(broker, '127.0.0.1', 0);
    serveLeanFetch(broker, { fetch: serve }, new ReadBufferPool());
    stops.push(() => stopServer(broker, 100));

    const pool = new ReadBufferPool();
    const brokers = new BrokerClients(staticView(brokerPort), {}, { streamTransport: 'framed', fetchBuffers: pool });
    stops.push(() => brokers.close());
    const cluster = clusterPort();
    const storage = new GatewayStoragePort(cluster, brokers);
    const gatewaySockets: Socket[] = [];
    const gateway: NetServer = createServer((socket) => {
      gatewaySockets.push(socket);
      new KafkaConnection(socket, {
        maxFrameBytes: 1 << 20,
        maxInFlight: 100,
        tracer: trace.getTracer('test'),
        logger: { info: () => undefined, warn: (o, m) => console.warn(m, o), error: (o, m) => console.error(m, o) },
        makeContext: (clientId) => ({ clientId, clientHost: '/127.0.0.1', cluster, storage }) as unknown as RequestContext,
        onWritten: releaseFetchAnswers(pool),
      });
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    stops.push(() => new Promise<void>((r) => gateway.close(() => r())));
    const gatewayPort = (gateway.address() as { port: number }).port;

    // Each consumer pipelines a fetch of every batch boundary of its partition and stops reading
    // until its gateway socket holds answers unsent in user space: the Kafka responses then wait
    // in the socket while later storage answers are gathered, into reused buffers once the
    // written ones gave theirs back.
    const consume = async (partition: number, pass: number): Promise<number> => {
      const maxBytes = [300_000, 600_000, 1_000_000][(partition + pass) % 3]!;
      const offsets = Array.from({ length: BATCHES }, (_, b) => BigInt(b * RECORDS_PER_BATCH));
      const { answers, backedUp } = await pipelined(gatewayPort, offsets.map((o) => fetchRequest(partition, o, maxBytes)), gatewaySockets);
      if (backedUp) backedUpConnections++;
      let checked = 0;
      for (let i = 0; i < answers.length; i++) {
        const p = answers[i].responses[0].partitions[0];
        expect(p.errorCode).toBe(0);
        const batches = await decodeRecordBatches(p.records); // checks every CRC-32C
        expect(batches[0]!.header.baseOffset).toBe(offsets[i]);
        for (const b of batches) {
          for (const r of b.records) {
            expect(r.value!.equals(valueOf(partition, Number(r.offset)))).toBe(true);
            checked++;
          }
        }
      }
      return checked;
    };
    let backedUpConnections = 0;
    for (let pass = 0; pass < 3; pass++) {
      const checked = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => consume(p, pass)));
      for (const n of checked) expect(n).toBeGreaterThanOrEqual(BATCHES * RECORDS_PER_BATCH);
    }
    // Responses waited unsent in the gateway while answers were gathered into leases, and the
    // leases were reused for later answers.
    expect(backedUpConnections).toBeGreaterThan(PARTITIONS);
    expect(pool.stats().reused).toBeGreaterThan(50);
  });
});

/**
 * Sends `requests` (Fetch v12) at once on a new connection and reads nothing until the
 * gateway's side of it holds unsent bytes in user space (or 5 s passed), then reads the answers
 * in order.
 */
async function pipelined(port: number, requests: object[], gatewaySockets: Socket[]): Promise<{ answers: any[]; backedUp: boolean }> {
  const before = new Set(gatewaySockets);
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.pause();
  socket.write(Buffer.concat(requests.map((body, i) => encodeRequest({ requestApiKey: ApiKey.Fetch, requestApiVersion: 12, correlationId: i, clientId: 'reuse' }, body as never))));
  const deadline = Date.now() + 5_000;
  let backedUp = false;
  for (;;) {
    const peer = gatewaySockets.find((g) => !before.has(g) && g.remotePort === socket.localPort);
    backedUp = !!peer && peer.writableLength > 0;
    if (backedUp || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const answers: any[] = [];
  let held: Buffer = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      while (held.length >= 4 && held.length >= 4 + held.readInt32BE(0)) {
        const size = held.readInt32BE(0);
        const { correlationId, body } = decodeResponse(ApiKey.Fetch, 12, held.subarray(4, 4 + size));
        expect(correlationId).toBe(answers.length);
        answers.push(body);
        held = held.subarray(4 + size);
      }
      if (answers.length === requests.length) resolve();
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed after ${answers.length} answers`)));
    socket.resume();
  });
  socket.destroy();
  return { answers, backedUp };
}
