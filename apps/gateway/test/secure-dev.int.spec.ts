// `dms dev up --secure`'s configuration on real services: every gRPC hop is mutual TLS with role
// certificates from the internal CA, the admin super user works over SASL_SSL, and neither a
// plaintext gRPC client nor the Kafka admin's client certificate gets in; etcd serves only TLS
// clients holding a certificate from the dev CA.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { internalCertsDir, readClusterJson, secureDevOptions } from '@dms/devcluster';
import { KafkaClient, securityFromFile } from '@dms/kafka-client';
import { ControllerServiceClient, createClient, loadInternalTls, unary } from '@dms/rpc';
import { Etcd3 } from 'etcd3';
import { brokerKey, etcdClientOptions } from '@dms/cluster';
import { cleanup, runCli, serviceTls, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(120_000);

let tc: TestCluster;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dms-secure-'));
  tc = await startTestCluster({ controllers: 1, brokers: 1, gateways: 1, ...secureDevOptions(dir) });
});

afterAll(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

it('serves the admin over SASL_SSL with every internal hop over mutual TLS', async () => {
  const json = readClusterJson(tc.dataDir)!;
  const security = json.security as { caFile: string; admin: { commandConfig: string; password: string } };
  expect(readFileSync(security.caFile, 'utf8')).toContain('BEGIN CERTIFICATE');
  const gw = json.processes.find((p) => p.role === 'gateway')!;
  expect(gw.ports.saslSslPort).toBeGreaterThan(0);
  expect(gw.ports.sslPort).toBeGreaterThan(0);

  const admin = new KafkaClient({ bootstrapServers: `127.0.0.1:${gw.ports.saslSslPort}`, ...securityFromFile(security.admin.commandConfig) });
  const [created] = await admin.createTopics([{ name: 'secure-topic', numPartitions: 1 }]);
  expect(created.errorCode).toBe(0);
  const res = await admin.produce('secure-topic', 0, await buildRecordBatch({ records: [{ value: 'over mTLS' }] }));
  expect(res.baseOffset).toBe(0n);
  admin.close();

  const ctl = json.processes.find((p) => p.role === 'controller')!;
  const addr = `127.0.0.1:${ctl.ports.grpcPort}`;
  const plain = createClient(ControllerServiceClient, addr);
  await expect(unary(plain.describeCluster.bind(plain), {}, { timeoutMs: 2_000 })).rejects.toBeDefined();
  plain.close();
  // The Kafka admin's client certificate comes from the Kafka-listener CA: the internal port refuses it.
  const certs = join(dir, 'certs');
  const kafkaCert = loadInternalTls({ ca: join(internalCertsDir(tc.dataDir), 'ca.pem'), cert: join(certs, 'client-admin.pem'), key: join(certs, 'client-admin-key.pem') });
  const refused = createClient(ControllerServiceClient, addr, { tls: kafkaCert });
  await expect(unary(refused.describeCluster.bind(refused), {}, { timeoutMs: 3_000 })).rejects.toBeDefined();
  refused.close();
  const mtls = createClient(ControllerServiceClient, addr, { tls: serviceTls(tc.dataDir, 'gateway', 1) });
  await expect(unary(mtls.describeCluster.bind(mtls), {}, { timeoutMs: 5_000 })).resolves.toMatchObject({ controllerId: 1 });
  mtls.close();
});

it('does not take a service certificate on the Kafka SSL listener (the listener trusts the Kafka CA only)', async () => {
  const json = readClusterJson(tc.dataDir)!;
  const gw = json.processes.find((p) => p.role === 'gateway')!;
  // ApiVersions v0, correlation id 7, null client id.
  const apiVersions = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 7, 0xff, 0xff]);
  const answers = (cert: Buffer, key: Buffer) => new Promise<boolean>((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: gw.ports.sslPort, ca: readFileSync(join(dir, 'certs', 'ca.pem')), cert, key, servername: 'localhost' });
    const finish = (v: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(false), 5_000);
    socket.on('secureConnect', () => socket.write(apiVersions));
    socket.on('data', () => finish(true));
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
  const certs = join(dir, 'certs');
  expect(await answers(readFileSync(join(certs, 'client-admin.pem')), readFileSync(join(certs, 'client-admin-key.pem')))).toBe(true);
  const service = serviceTls(tc.dataDir, 'gateway', 1);
  expect(await answers(service.cert, service.key)).toBe(false);
});

it('runs etcd over TLS with client certificates: services and dms cluster status use it, plain and certificate-less clients are refused', async () => {
  const json = readClusterJson(tc.dataDir)!;
  const tls = json.etcd.tls!;
  expect(tls.clientCertAuth).toBe(true);
  const port = json.etcd.clientPort;
  const outcome = (req: ReturnType<typeof httpGet>) => new Promise<string>((resolve) => {
    req.on('response', (res) => resolve(`status ${res.statusCode}`));
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.setTimeout(3_000, () => req.destroy(new Error('timeout')));
  });
  expect(await outcome(httpGet({ host: '127.0.0.1', port, path: '/health' }))).toMatch(/^error/);
  expect(await outcome(httpsGet({ host: '127.0.0.1', port, path: '/health', ca: readFileSync(tls.caFile) }))).toMatch(/^error/);
  expect(await outcome(httpsGet({ host: '127.0.0.1', port, path: '/health', ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }))).toBe('status 200');

  // Every service registered through the TLS client (the broker's key lives under its lease).
  const etcd = new Etcd3(etcdClientOptions({
    'etcd.endpoints': [json.etcd.endpoint], 'etcd.tls.ca.location': tls.caFile, 'etcd.tls.certificate.location': tls.certFile, 'etcd.tls.key.location': tls.keyFile,
  }));
  try {
    expect(await etcd.get(brokerKey(json.clusterName, 1)).string()).toBeTruthy();
  } finally {
    etcd.close();
  }
  const status = await runCli(['cluster', 'status', '--data-dir', tc.dataDir, '--json']);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ brokers: [expect.objectContaining({ id: 1 })], gateways: [expect.objectContaining({ id: 1 })] });
});
