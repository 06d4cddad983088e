// Security end to end: a gateway with PLAINTEXT, SASL_SSL (SCRAM) and SSL (client certificate)
// listeners and the ACL authorizer on; kcat, kafkajs and our own client as real clients.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { encodeRequest } from '@dms/kafka-codec';
import { generateCerts, type CertFiles } from '@dms/devcluster';
import { createAcls, deleteAcls, describeScramUsers, ErrorCode, KafkaClient, KafkaError, upsertScramUser } from '@dms/kafka-client';
import { buildRecordBatch } from '@dms/kafka-codec';
import { waitFor } from '@dms/devcluster';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';
import { runProcess } from './run-process';

jest.setTimeout(180_000);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let tc: TestCluster;
let certs: CertFiles;
let dir: string;
let saslPort: number;
let sslPort: number;
let admin: KafkaClient;
const ADMIN_PW = 'admin-secret';

const TOPIC = 2, GROUP = 3, CLUSTER = 4, LITERAL = 3, PREFIXED = 4, ALLOW = 3, ANY = 1;
const READ = 3, WRITE = 4, CREATE = 5, DESCRIBE = 8;

function saslClient(user: string, password: string, mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN' = 'SCRAM-SHA-512'): KafkaClient {
  return new KafkaClient({
    bootstrapServers: `127.0.0.1:${saslPort}`,
    tls: { ca: require('node:fs').readFileSync(certs.ca) },
    sasl: { mechanism, username: user, password },
    retries: 0,
  });
}

function kcatSasl(user: string, password: string, args: string[], input?: string) {
  return runProcess('kcat', [
    '-b', `127.0.0.1:${saslPort}`, '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-512',
    '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`, '-X', `ssl.ca.location=${certs.ca}`, ...args,
  ], { input, timeoutMs: 60_000 });
}

const batch = (value: string): Promise<Buffer> => buildRecordBatch({ records: [{ value }] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dms-sec-'));
  certs = generateCerts(join(dir, 'certs'), ['admin', 'carol']);
  tc = await startTestCluster({
    brokers: 1,
    controllers: 1,
    gateways: 1,
    gatewayListeners: ['SASL_SSL', 'SSL'],
    scramUsers: [{ name: 'admin', password: ADMIN_PW, mechanism: 'SCRAM-SHA-512' }],
    config: {
      gateway: {
        'ssl.key.location': certs.serverKey,
        'ssl.certificate.location': certs.serverCert,
        'ssl.ca.location': certs.ca,
        'ssl.client.auth': 'required',
        'authorizer.class.name': 'dms',
        'super.users': 'User:admin;User:CN=admin,O=dms',
        'connection.failed.authentication.delay.ms': 50,
        // Good and bad logins here share 127.0.0.1: no growth of the per-address back-off
        // (listener-limits.int.spec.ts covers it), so the delay stays Kafka's fixed 50 ms.
        'connection.failed.authentication.delay.max.ms': 50,
        'connections.max.unauthenticated.ms': 3000,
      },
    },
  });
  const ports = tc.cluster.service('gateway', 1).ports;
  saslPort = ports.saslSslPort;
  sslPort = ports.sslPort;
  admin = saslClient('admin', ADMIN_PW);
  await upsertScramUser(admin, 'alice', 'alice-pw', 'SCRAM-SHA-512');
  await upsertScramUser(admin, 'bob', 'bob-pw', 'SCRAM-SHA-256');
  await admin.createTopics([{ name: 'readonly', numPartitions: 1 }, { name: 'fam.a' }, { name: 'fam.b' }, { name: 'other' }]);
  await admin.produce('readonly', 0, await batch('r1'));
});

afterAll(async () => {
  admin?.close();
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('SASL_SSL with SCRAM', () => {
  it('kcat logs in with SCRAM-SHA-512, sees the SASL_SSL listener advertised, produces and consumes', async () => {
    const meta = await kcatSasl('admin', ADMIN_PW, ['-L']);
    expect(meta.code).toBe(0);
    expect(meta.stdout).toMatch(new RegExp(`broker 1 at 127\\.0\\.0\\.1:${saslPort}`));
    const p = await kcatSasl('admin', ADMIN_PW, ['-P', '-t', 'kcat-sasl'], 'one\ntwo\n');
    expect(p.code).toBe(0);
    const c = await kcatSasl('admin', ADMIN_PW, ['-C', '-t', 'kcat-sasl', '-e', '-o', 'beginning']);
    expect(c.stdout.split('\n').filter(Boolean)).toEqual(['one', 'two']);
  });

  it('refuses a wrong password and an unknown user with SASL_AUTHENTICATION_FAILED', async () => {
    for (const [u, pw] of [['alice', 'nope'], ['mallory', 'x']]) {
      const c = saslClient(u, pw);
      await expect(c.metadata()).rejects.toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED });
      c.close();
    }
    const k = await kcatSasl('alice', 'nope', ['-L', '-m', '5']);
    expect(k.code).not.toBe(0);
    expect(k.stdout).not.toContain('broker 1 at');
  });

  it('accepts SCRAM-SHA-256 and PLAIN against the same credentials', async () => {
    const b = saslClient('bob', 'bob-pw', 'SCRAM-SHA-256');
    await expect(b.metadata([])).resolves.toBeDefined();
    b.close();
    const p = saslClient('bob', 'bob-pw', 'PLAIN');
    await expect(p.metadata([])).resolves.toBeDefined();
    p.close();
    const users = await describeScramUsers(admin);
    expect(users.map((u) => u.user)).toEqual(expect.arrayContaining(['admin', 'alice', 'bob']));
  });

  it('kafkajs logs in with SCRAM-SHA-512 and produces', async () => {
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${saslPort}`], clientId: 'sec', logLevel: logLevel.NOTHING,
      ssl: { ca: [require('node:fs').readFileSync(certs.ca, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: 'admin', password: ADMIN_PW },
      retry: { retries: 3, initialRetryTime: 100 },
    });
    const producer = kafka.producer();
    await producer.connect();
    const res = await producer.send({ topic: 'kjs-sasl', messages: [{ value: 'hi' }] });
    expect(res[0].errorCode).toBe(0);
    await producer.disconnect();
    const bad = new Kafka({
      brokers: [`127.0.0.1:${saslPort}`], clientId: 'sec', logLevel: logLevel.NOTHING,
      ssl: { ca: [require('node:fs').readFileSync(certs.ca, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: 'admin', password: 'wrong' },
      retry: { retries: 0 },
    }).admin();
    await expect(bad.connect()).rejects.toThrow(/SASL|authentication/i);
  });
});

describe('SSL with client certificates', () => {
  it('kcat and kafkajs connect with a certificate; its subject is the principal', async () => {
    const k = await runProcess('kcat', ['-b', `127.0.0.1:${sslPort}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.ca}`,
      '-X', `ssl.certificate.location=${certs.clients.admin.cert}`, '-X', `ssl.key.location=${certs.clients.admin.key}`, '-P', '-t', 'kcat-ssl'], { input: 'x\n', timeoutMs: 60_000 });
    expect(k.code).toBe(0);
    const fs = require('node:fs');
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${sslPort}`], clientId: 'ssl', logLevel: logLevel.NOTHING,
      ssl: { ca: [fs.readFileSync(certs.ca, 'utf8')], cert: fs.readFileSync(certs.clients.admin.cert, 'utf8'), key: fs.readFileSync(certs.clients.admin.key, 'utf8') },
    });
    const a = kafka.admin();
    await a.connect();
    expect(await a.listTopics()).toContain('kcat-ssl');
    await a.disconnect();
    // carol's certificate is valid but carol has no ACL: she sees no topics.
    const carol = new Kafka({
      brokers: [`127.0.0.1:${sslPort}`], clientId: 'ssl', logLevel: logLevel.NOTHING,
      ssl: { ca: [fs.readFileSync(certs.ca, 'utf8')], cert: fs.readFileSync(certs.clients.carol.cert, 'utf8'), key: fs.readFileSync(certs.clients.carol.key, 'utf8') },
    }).admin();
    await carol.connect();
    expect(await carol.listTopics()).toEqual([]);
    await carol.disconnect();
  });

  it('refuses a client without a certificate', async () => {
    const k = await runProcess('kcat', ['-b', `127.0.0.1:${sslPort}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.ca}`, '-L', '-m', '5'], { timeoutMs: 30_000 });
    expect(k.code).not.toBe(0);
  });
});

describe('ACLs', () => {
  it('a user with only READ on a topic consumes it and is refused producing; Metadata hides the rest', async () => {
    await createAcls(admin, [{ resourceType: TOPIC, resourceName: 'readonly', patternType: LITERAL, principal: 'User:alice', host: '*', operation: READ, permissionType: ALLOW }]);
    const c = await kcatSasl('alice', 'alice-pw', ['-C', '-t', 'readonly', '-e', '-o', 'beginning']);
    expect(c.code).toBe(0);
    expect(c.stdout.trim()).toBe('r1');
    const p = await kcatSasl('alice', 'alice-pw', ['-P', '-t', 'readonly'], 'nope\n');
    expect(p.stderr).toMatch(/Topic authorization failed/i);
    const alice = saslClient('alice', 'alice-pw');
    await expect(alice.produce('readonly', 0, await batch('x'))).rejects.toMatchObject({ code: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    const meta = await alice.metadata();
    expect(meta.topics.map((t) => t.name)).toEqual(['readonly']);
    await expect(alice.createTopics([{ name: 'alice-new' }])).resolves.toEqual([expect.objectContaining({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })]);
    alice.close();
  });

  it('a prefixed ACL grants a family of topics, and removing it takes effect on a connected client within seconds', async () => {
    await createAcls(admin, [WRITE, DESCRIBE].map((operation) => ({ resourceType: TOPIC, resourceName: 'fam.', patternType: PREFIXED, principal: 'User:alice', host: '*', operation, permissionType: ALLOW })));
    const alice = saslClient('alice', 'alice-pw');
    await expect(alice.produce('fam.a', 0, await batch('a'))).resolves.toMatchObject({ baseOffset: 0n });
    await expect(alice.produce('fam.b', 0, await batch('b'))).resolves.toMatchObject({ baseOffset: 0n });
    await expect(alice.produce('other', 0, await batch('o'))).rejects.toMatchObject({ code: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    const removed = await deleteAcls(admin, [{ resourceType: TOPIC, resourceName: 'fam.', patternType: PREFIXED, principal: 'User:alice', host: null, operation: WRITE, permissionType: ANY }]);
    expect(removed).toHaveLength(1);
    const started = Date.now();
    let code = 0;
    while (Date.now() - started < 5_000) {
      try {
        await alice.produce('fam.a', 0, await batch('again'));
      } catch (e) {
        code = (e as KafkaError).code;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(code).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    alice.close();
  });

  it('CreateTopics needs CREATE on the cluster or on the topic', async () => {
    await createAcls(admin, [{ resourceType: CLUSTER, resourceName: 'kafka-cluster', patternType: LITERAL, principal: 'User:bob', host: '*', operation: CREATE, permissionType: ALLOW }]);
    const bob = saslClient('bob', 'bob-pw', 'SCRAM-SHA-256');
    expect((await bob.createTopics([{ name: 'bob-topic' }]))[0].errorCode).toBe(ErrorCode.NONE);
    bob.close();
  });
});

describe('consumer groups under ACLs', () => {
  const kafkaAs = (username: string, password: string) => new Kafka({
    brokers: [`127.0.0.1:${saslPort}`], clientId: 'grp-sec', logLevel: logLevel.NOTHING,
    ssl: { ca: [require('node:fs').readFileSync(certs.ca, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username, password },
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const allow = (resourceType: number, resourceName: string, operation: number, principal = 'User:gina') =>
    ({ resourceType, resourceName, patternType: LITERAL, principal, host: '*', operation, permissionType: ALLOW });

  beforeAll(async () => {
    await upsertScramUser(admin, 'gina', 'gina-pw', 'SCRAM-SHA-512');
    await admin.createTopics([{ name: 'grp-sec', numPartitions: 2 }]);
    for (const v of ['g0', 'g1', 'g2', 'g3']) await admin.produce('grp-sec', 0, await batch(v));
    await createAcls(admin, [allow(TOPIC, 'grp-sec', READ), allow(GROUP, 'G-sec', READ), allow(GROUP, 'K-sec', READ)]);
  });

  it('a user with READ on the topic and the group consumes in that group and commits; another group is refused', async () => {
    const kafka = kafkaAs('gina', 'gina-pw');
    const consumer = kafka.consumer({ groupId: 'G-sec', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    const got: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['grp-sec'], fromBeginning: true });
    await consumer.run({ autoCommitThreshold: 1, eachMessage: async ({ message }) => { got.push(message.value!.toString()); } });
    await waitFor('4 messages', () => got.length >= 4, 60_000);
    await consumer.disconnect();
    expect(got.sort()).toEqual(['g0', 'g1', 'g2', 'g3']);
    const ginaAdmin = kafka.admin();
    await ginaAdmin.connect();
    const offsets = await ginaAdmin.fetchOffsets({ groupId: 'G-sec', topics: ['grp-sec'] });
    expect(offsets[0].partitions.find((p) => p.partition === 0)?.offset).toBe('4');
    // Only what gina may describe is listed, and she may not delete the group.
    expect((await ginaAdmin.listGroups()).groups.map((g) => g.groupId)).toEqual(['G-sec']);
    await expect(ginaAdmin.deleteGroups(['G-sec'])).rejects.toThrow();
    await ginaAdmin.disconnect();

    const other = kafka.consumer({ groupId: 'H-sec', retry: { retries: 0 } });
    const crashed = new Promise<string>((resolve) => other.on(other.events.CRASH, (e) => resolve((e.payload.error as { type?: string }).type ?? String(e.payload.error))));
    await other.connect();
    await other.subscribe({ topics: ['grp-sec'], fromBeginning: true });
    await other.run({ eachMessage: async () => undefined });
    // kafkajs asks every broker for the coordinator and reports that none was found.
    expect(await crashed).toMatch(/GroupCoordinatorNotFound|GROUP_AUTHORIZATION_FAILED/);
    await other.disconnect();

    const raw = saslClient('gina', 'gina-pw');
    const conn = await raw.anyBrokerConnection();
    const coordinator = await conn.request<{ coordinators: { errorCode: number }[] }>(10, { keyType: 0, coordinatorKeys: ['H-sec', 'G-sec'] }, { version: 4 });
    expect(coordinator.coordinators.map((c) => c.errorCode)).toEqual([ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.NONE]);
    const join = await conn.request<{ errorCode: number }>(11, {
      groupId: 'H-sec', sessionTimeoutMs: 6000, rebalanceTimeoutMs: 6000, memberId: '', protocolType: 'consumer', protocols: [],
    }, { version: 5 });
    expect(join.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const commit = await conn.request<{ topics: { partitions: { errorCode: number }[] }[] }>(8, {
      groupId: 'H-sec', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'grp-sec', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
    }, { version: 8 });
    expect(commit.topics[0].partitions[0].errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    raw.close();
  });

  it('kcat -G consumes and commits over SASL_SSL with those ACLs', async () => {
    const res = await kcatSasl('gina', 'gina-pw', ['-G', 'K-sec', 'grp-sec', '-c', '4', '-f', '%s\n', '-X', 'auto.offset.reset=earliest', '-X', 'enable.auto.commit=true', '-X', 'auto.commit.interval.ms=100']);
    expect(res.stderr).toContain('rebalanced');
    expect(res.timedOut).toBe(false);
    expect(res.stdout.split('\n').filter(Boolean).sort()).toEqual(['g0', 'g1', 'g2', 'g3']);
    const kafka = kafkaAs('admin', ADMIN_PW).admin();
    await kafka.connect();
    const offsets = await kafka.fetchOffsets({ groupId: 'K-sec', topics: ['grp-sec'] });
    await kafka.disconnect();
    expect(offsets[0].partitions.find((p) => p.partition === 0)?.offset).toBe('4');
  });
});

describe('before authentication', () => {
  const frame = (apiKey: number, version: number, body: object) =>
    encodeRequest({ requestApiKey: apiKey, requestApiVersion: version, correlationId: 7, clientId: 'raw' }, body as never);

  function rawTls(): Promise<{ send(b: Buffer): void; closed: Promise<void>; data: Buffer[] }> {
    return new Promise((resolve, reject) => {
      const data: Buffer[] = [];
      const s = tlsConnect({ host: '127.0.0.1', port: saslPort, ca: require('node:fs').readFileSync(certs.ca) }, () =>
        resolve({ send: (b) => s.write(b), closed, data }));
      const closed = new Promise<void>((r) => s.on('close', () => r()));
      s.on('data', (c: Buffer) => data.push(c));
      s.on('error', reject);
    });
  }

  it('serves ApiVersions but closes on any other API', async () => {
    const c = await rawTls();
    c.send(frame(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
    c.send(frame(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
    await c.closed;
    const got = Buffer.concat(c.data);
    expect(got.readInt32BE(4)).toBe(7); // the ApiVersions answer, and nothing else
    expect(got.length).toBe(4 + got.readInt32BE(0));
  });

  it('closes a frame above the pre-authentication limit and a connection that never logs in', async () => {
    const big = await rawTls();
    const head = Buffer.alloc(4);
    head.writeInt32BE(1 << 20);
    big.send(head);
    await big.closed;
    const idle = await rawTls();
    const t0 = Date.now();
    await idle.closed;
    expect(Date.now() - t0).toBeLessThan(6_000);
  });
});

describe('dms users and acls commands', () => {
  it('create, list and delete users; create, list and delete ACLs', async () => {
    const props = join(dir, 'admin.properties');
    writeFileSync(props, [
      'security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${ADMIN_PW}";`,
      `ssl.ca.location=${certs.ca}`,
    ].join('\n'));
    const common = ['--bootstrap-server', `127.0.0.1:${saslPort}`, '--command-config', props];
    const refused = await runCli(['users', 'create', 'dave', '--password', 'dave-pw', '--mechanism', 'SCRAM-SHA-512', ...common]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--password is refused.*process list/);
    // The password comes from standard input (a pipe here), never from argv.
    const created = await runCli(['users', 'create', 'dave', '--password-stdin', '--mechanism', 'SCRAM-SHA-512', ...common], { input: 'dave-pw\n' });
    expect(created.stderr).toBe('');
    const dave = saslClient('dave', 'dave-pw');
    await expect(dave.metadata()).resolves.toBeDefined();
    dave.close();
    expect((await runCli(['users', 'list', ...common])).stdout).toMatch(/dave\tSCRAM-SHA-512\(iterations=4096\)/);
    const acl = await runCli(['acls', 'create', '--allow-principal', 'User:dave', '--operation', 'Read', '--topic', 'dave.', '--resource-pattern-type', 'prefixed', ...common]);
    expect(acl.stdout).toContain('Added: TOPIC:PREFIXED:dave.\tUser:dave\tALLOW\tREAD');
    expect((await runCli(['acls', 'list', '--principal', 'User:dave', ...common])).stdout).toContain('TOPIC:PREFIXED:dave.');
    expect((await runCli(['acls', 'delete', '--allow-principal', 'User:dave', '--topic', 'dave.', '--resource-pattern-type', 'prefixed', ...common])).stdout).toContain('Removed:');
    expect((await runCli(['users', 'delete', 'dave', ...common])).code).toBe(0);
    expect((await runCli(['users', 'list', ...common])).stdout).not.toContain('dave');
    const anon = await runCli(['users', 'list', '--bootstrap-server', tc.bootstrap]);
    expect(anon.stderr).toContain('CLUSTER_AUTHORIZATION_FAILED');
  });
});
