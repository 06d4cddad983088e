// `dms dev up --secure`'s configuration on real services: every gRPC hop is mutual TLS, the admin
// super user works over SASL_SSL, and a plaintext gRPC client is refused.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { readClusterJson, secureDevOptions } from '@dms/devcluster';
import { KafkaClient, securityFromFile } from '@dms/kafka-client';
import { ControllerServiceClient, createClient, loadInternalTls, unary } from '@dms/rpc';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

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
  const certs = join(dir, 'certs');
  const tls = loadInternalTls({ ca: join(certs, 'ca.pem'), cert: join(certs, 'client-admin.pem'), key: join(certs, 'client-admin-key.pem') });
  const mtls = createClient(ControllerServiceClient, addr, { tls });
  await expect(unary(mtls.describeCluster.bind(mtls), {}, { timeoutMs: 5_000 })).resolves.toMatchObject({ controllerId: 1 });
  mtls.close();
});
