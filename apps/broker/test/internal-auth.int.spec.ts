// Issue 12 item 4: nobody gets around the gateway. The brokers' and controllers' gRPC ports of a
// default dev cluster speak mutual TLS only, to certificates from the cluster's internal CA, and
// serve each method only to the roles method-roles.ts names; a broker acts only as itself.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient } from '@dms/kafka-client';
import { generateCerts, internalCertsDir, readClusterJson, waitFor } from '@dms/devcluster';
import {
  ControllerServiceClient, LeanSession, StorageServiceClient, clusterV1, createClient, loadInternalTls, openReplicaFetch, unary,
  type FetchResponse, type InternalTls, type MessageStream, type ReplicaFetchRequest, type ReplicaFetchResponse,
} from '@dms/rpc';
import { cleanup, distAppsDir, runProcess, serviceTls, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(180_000);

let tc: TestCluster;
let brokerAddr: (id: number) => string;
let controllerAddr: string;

beforeAll(async () => {
  tc = await startTestCluster({ controllers: 1, brokers: 2, gateways: 1, readyTimeoutMs: 60_000 });
  const json = readClusterJson(tc.dataDir)!;
  const grpc = (role: string, id: number) => `127.0.0.1:${json.processes.find((p) => p.role === role && p.id === id)!.ports.grpcPort}`;
  brokerAddr = (id) => grpc('broker', id);
  controllerAddr = grpc('controller', 1);
});

afterAll(cleanup);

/** The first bytes a server sends back after a clear-text HTTP/2 preface and empty SETTINGS (bounded). */
function answerToClearTextPreface(address: string): Promise<Buffer> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), host, () => {
      socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, 5_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', done);
  });
}

/**
 * Opens a ReplicaFetch stream as the holder of `tls` (through grpc-js, or framed by us as
 * internal.stream.transport=framed brokers do), sends one request, and reports the first outcome.
 */
function replicaFetchOnce(address: string, tls: InternalTls, replicaId: number, transport: 'grpc' | 'framed' = 'grpc'): Promise<{ data?: ReplicaFetchResponse; error?: ServiceError }> {
  const client = transport === 'grpc' ? createClient(StorageServiceClient, address, { tls }) : new LeanSession(address, { tls });
  return new Promise((resolve) => {
    const call: MessageStream<ReplicaFetchRequest, ReplicaFetchResponse> = client instanceof LeanSession ? openReplicaFetch(client) : client.replicaFetch();
    const finish = (r: { data?: ReplicaFetchResponse; error?: ServiceError }) => {
      clearTimeout(timer);
      call.cancel();
      client.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ error: { code: GrpcStatus.DEADLINE_EXCEEDED, details: 'no answer in 20 s' } as ServiceError }), 20_000);
    call.on('data', (data: ReplicaFetchResponse) => finish({ data }));
    call.on('error', (error) => finish({ error: error as ServiceError }));
    const req: ReplicaFetchRequest = { correlationId: 1n, replicaId, maxWaitMs: 0, maxBytes: 1 << 20, partitions: [] };
    call.write(req);
  });
}

async function code(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return (e as ServiceError).code;
  }
}

it('serves Kafka clients through the gateway as before (every internal hop over mTLS)', async () => {
  const client = new KafkaClient({ bootstrapServers: tc.bootstrap });
  try {
    const [created] = await client.createTopics([{ name: 'through-gateway', numPartitions: 1, replicationFactor: 2 }]);
    expect(created.errorCode).toBe(0);
    const res = await client.produce('through-gateway', 0, await buildRecordBatch({ records: [{ value: 'replicated over mTLS' }] }));
    expect(res.baseOffset).toBe(0n);
    const fetched = await client.fetch('through-gateway', 0, 0n);
    expect(fetched.highWatermark).toBe(1n);
  } finally {
    client.close();
  }
  expect(tc.unexpectedExits).toEqual([]);
});

it('(a) answers no clear-text HTTP/2 preface on broker and controller ports', async () => {
  for (const address of [brokerAddr(1), brokerAddr(2), controllerAddr]) {
    const answer = await answerToClearTextPreface(address);
    // An HTTP/2 server answers with its SETTINGS frame (type 4 in the 4th byte of the frame header).
    expect(answer.length >= 9 && answer[3] === 4).toBe(false);
    // This test process configured no internal TLS, so createClient dials in clear text.
    const plain = createClient(ControllerServiceClient, address);
    await expect(unary(plain.describeCluster.bind(plain), {}, { timeoutMs: 3_000 })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    plain.close();
  }
});

it('(b) refuses a Kafka client certificate on the internal ports', async () => {
  const kafkaCerts = generateCerts(join(tc.dataDir, 'kafka-certs'), ['alice']);
  // Trusting the internal CA to get as far as the handshake; the certificate is from the Kafka CA.
  const tls = loadInternalTls({ ca: join(internalCertsDir(tc.dataDir), 'ca.pem'), cert: kafkaCerts.clients.alice.cert, key: kafkaCerts.clients.alice.key })!;
  const ctl = createClient(ControllerServiceClient, controllerAddr, { tls });
  expect(await code(unary(ctl.describeCluster.bind(ctl), {}, { timeoutMs: 3_000 }))).toBe(GrpcStatus.UNAVAILABLE);
  ctl.close();
  for (const transport of ['grpc', 'framed'] as const) {
    const fetched = await replicaFetchOnce(brokerAddr(1), tls, 2, transport);
    expect(fetched.data).toBeUndefined();
    expect(fetched.error?.code).toBe(GrpcStatus.UNAVAILABLE);
  }
  // The refused handshakes are logged by the services.
  await waitFor('refused connections logged', () => tailOf('controller-1').includes('internal connection refused') && tailOf('broker-1').includes('internal connection refused'), 10_000, 100);
});

it('(c) refuses a gateway certificate for replication and ISR changes, serves it admin work', async () => {
  const gw = serviceTls(tc.dataDir, 'gateway', 1);
  for (const transport of ['grpc', 'framed'] as const) {
    const fetched = await replicaFetchOnce(brokerAddr(1), gw, 1, transport);
    expect(fetched.error).toMatchObject({ code: GrpcStatus.PERMISSION_DENIED, details: expect.stringContaining('ReplicaFetch may be called by broker only, not by gateway 1') });
  }
  const ctl = createClient(ControllerServiceClient, controllerAddr, { tls: gw });
  const alter: clusterV1.AlterPartitionRequest = { brokerId: 1, partitions: [] };
  expect(await code(unary(ctl.alterPartition.bind(ctl), alter, { timeoutMs: 10_000 }))).toBe(GrpcStatus.PERMISSION_DENIED);
  await expect(unary(ctl.describeCluster.bind(ctl), {}, { timeoutMs: 10_000 })).resolves.toMatchObject({ controllerId: 1 });
  ctl.close();
  // And a broker may not do the gateways' admin work.
  const asBroker = createClient(ControllerServiceClient, controllerAddr, { tls: serviceTls(tc.dataDir, 'broker', 2) });
  const acl: clusterV1.CreateAclsRequest = { creations: [] };
  expect(await code(unary(asBroker.createAcls.bind(asBroker), acl, { timeoutMs: 10_000 }))).toBe(GrpcStatus.PERMISSION_DENIED);
  asBroker.close();
  const log = tailOf('controller-1');
  expect(log).toContain('internal call refused');
});

it('(d) lets broker 2 fetch as replica 2 only, and alter partitions only for itself', async () => {
  const b2 = serviceTls(tc.dataDir, 'broker', 2);
  for (const transport of ['grpc', 'framed'] as const) {
    const own = await replicaFetchOnce(brokerAddr(1), b2, 2, transport);
    expect(own.error).toBeUndefined();
    expect(own.data?.correlationId).toBe(1n);
    const forged = await replicaFetchOnce(brokerAddr(1), b2, 3, transport);
    expect(forged.error).toMatchObject({ code: GrpcStatus.PERMISSION_DENIED, details: expect.stringContaining('broker 2 may not act as replicaId 3') });
  }
  const ctl = createClient(ControllerServiceClient, controllerAddr, { tls: b2 });
  expect(await code(unary(ctl.alterPartition.bind(ctl), { brokerId: 1, partitions: [] }, { timeoutMs: 10_000 }))).toBe(GrpcStatus.PERMISSION_DENIED);
  ctl.close();
  // The gateways' data-plane methods are not for brokers (ListOffsets is: lag metrics read it).
  const storage = createClient(StorageServiceClient, brokerAddr(1), { tls: b2 });
  expect(await code(unary(storage.deleteRecords.bind(storage), { timeoutMs: 1000, partitions: [], traceContext: {} }, { timeoutMs: 10_000 }))).toBe(GrpcStatus.PERMISSION_DENIED);
  expect(await code(unary(storage.listOffsets.bind(storage), { partitions: [], isolationLevel: 0, traceContext: {} }, { timeoutMs: 10_000 }))).toBe('ok');
  storage.close();
});

it('(e) serves consumer Fetch (framed by the broker, internal.fetch.transport) to gateways only', async () => {
  const fetchOnce = (tls: InternalTls) => {
    const client = createClient(StorageServiceClient, brokerAddr(1), { tls });
    return new Promise<{ data?: FetchResponse; error?: ServiceError }>((resolve) => {
      const call = client.fetch();
      const finish = (r: { data?: FetchResponse; error?: ServiceError }) => {
        clearTimeout(timer);
        call.cancel();
        client.close();
        resolve(r);
      };
      const timer = setTimeout(() => finish({ error: { code: GrpcStatus.DEADLINE_EXCEEDED, details: 'no answer in 20 s' } as ServiceError }), 20_000);
      call.on('data', (data: FetchResponse) => finish({ data }));
      call.on('error', (error: ServiceError) => finish({ error }));
      call.write({ correlationId: 5n, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, partitions: [], traceContext: {}, wakeCorrelationId: 0n });
    });
  };
  const asGateway = await fetchOnce(serviceTls(tc.dataDir, 'gateway', 1));
  expect(asGateway.error).toBeUndefined();
  expect(asGateway.data?.correlationId).toBe(5n);
  const asBroker = await fetchOnce(serviceTls(tc.dataDir, 'broker', 2));
  expect(asBroker.error).toMatchObject({ code: GrpcStatus.PERMISSION_DENIED, details: expect.stringContaining('Fetch may be called by gateway only, not by broker 2') });
});

function tailOf(name: string): string {
  return readFileSync(join(tc.dataDir, 'logs', `${name}.log`), 'utf8');
}

describe('start-up', () => {
  const broker = () => join(distAppsDir(), 'broker', 'main.js');

  it('refuses to start without internal TLS material unless PLAINTEXT is chosen', async () => {
    const res = await runProcess(process.execPath, [broker(), '--broker.id', '7', '--etcd.endpoints', '127.0.0.1:9'], { timeoutMs: 30_000 });
    expect(res.timedOut).toBe(false);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('internal.security.protocol=SSL (the default) needs internal.ssl.ca.location');
  });

  it('refuses a certificate that names another service', async () => {
    const b2 = join(internalCertsDir(tc.dataDir), 'broker-2');
    const res = await runProcess(process.execPath, [
      broker(), '--broker.id', '1', '--etcd.endpoints', '127.0.0.1:9', '--internal.ssl.ca.location', join(internalCertsDir(tc.dataDir), 'ca.pem'),
      '--internal.ssl.certificate.location', `${b2}.pem`, '--internal.ssl.key.location', `${b2}-key.pem`,
    ], { timeoutMs: 30_000 });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('names broker 2, but this process is broker 1');
  });

  it('warns loudly at start with internal.security.protocol=PLAINTEXT', async () => {
    const child = spawn(process.execPath, [broker(), '--broker.id', '7', '--etcd.endpoints', '127.0.0.1:9', '--internal.security.protocol', 'PLAINTEXT'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const warned = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      const check = (c: Buffer) => {
        out += c.toString('utf8');
        if (out.includes('INTERNAL TRAFFIC IS NOT AUTHENTICATED')) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(out.includes('INTERNAL TRAFFIC IS NOT AUTHENTICATED'));
      });
    });
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    expect(warned).toBe(true);
    expect(out).toContain('a direct call can write records past ACLs');
  });
});
