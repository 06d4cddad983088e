// A full disk is contained (Kafka's log dir failure handling): broker 1 has two log dirs, a small
// tmpfs holding one topic's replicas and an ordinary dir where its new replicas of another topic
// go (the dir with the fewest partitions). The tmpfs fills up under acks=all produce on an RF 3
// topic: that dir goes offline, leadership moves to the other in-sync replicas, produce through
// the gateway keeps succeeding, no acknowledged record is lost, and broker 1 stays up, still
// leading and replicating from its other dir. Once space is back and the dir is brought online,
// its replicas recover and rejoin the ISR. Needs root (mount -t tmpfs); CI runs as root.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { brokerKey, brokerRegistration, type BrokerRegistration } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient, readPartitionValues } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { StorageServiceClient, createClient, unary } from '@dms/rpc';
import { cleanup, runCli, serviceTls, serviceTlsFiles, startTestCluster, type TestCluster } from '@dms/testing';
import { isSubsequence, stateOf } from './replication-helpers';

jest.setTimeout(240_000);

const FULL_BROKER = 1;
const TMPFS_BYTES = 3 << 20;
const VALUE = 'x'.repeat(8 << 10);

let tc: TestCluster | undefined;
let client: KafkaClient | undefined;
let etcd: Etcd3 | undefined;
let mountDir: string | undefined;
let otherDir: string | undefined;
let mounted = false;

function mountTmpfs(dir: string, bytes: number): void {
  if (process.getuid?.() !== 0) throw new Error('log-dir-failure.int.spec.ts needs root to mount a tmpfs (CI runs as root)');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  mounted = true;
}

function internalSslArgs(f: { ca: string; cert: string; key: string }): string[] {
  return ['--internal-ssl-ca-location', f.ca, '--internal-ssl-certificate-location', f.cert, '--internal-ssl-key-location', f.key];
}

async function registrationOf(id: number): Promise<BrokerRegistration | undefined> {
  return brokerRegistration.decode(await etcd!.get(brokerKey('dms', id)).buffer());
}

beforeAll(async () => {
  mountDir = mkdtempSync(join(tmpdir(), 'dms-full-disk-'));
  otherDir = mkdtempSync(join(tmpdir(), 'dms-other-disk-'));
  mountTmpfs(mountDir, TMPFS_BYTES);
  tc = await startTestCluster({
    brokers: 3,
    controllers: 1,
    gateways: 1,
    config: {
      broker: (id: number) => ({
        'etcd.lease.ttl.ms': 3000,
        // Generous: only the offline mark may take broker 1 out of an ISR here, never a slow machine.
        'replica.lag.time.max.ms': 10000,
        ...(id === FULL_BROKER ? { 'log.dirs': `${mountDir},${otherDir}` } : {}),
      }),
      controller: { 'etcd.lease.ttl.ms': 3000 },
    },
  });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 30_000 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
});

afterAll(async () => {
  client?.close();
  etcd?.close();
  try {
    await cleanup();
  } finally {
    if (mounted) {
      try {
        execFileSync('umount', [mountDir!]);
      } catch {
        execFileSync('umount', ['-l', mountDir!]);
      }
    }
    if (mountDir) rmSync(mountDir, { recursive: true, force: true });
    if (otherDir) rmSync(otherDir, { recursive: true, force: true });
  }
});

/** acks=all writes of `prefix-<n>` to one partition, one at a time; a failed write is tried again as a new record. */
function startProducer(topic: string, partition: number, prefix: string) {
  const acked: string[] = [];
  const errors: number[] = [];
  let stopped = false;
  let lastAck = Date.now();
  let longestGapMs = 0;
  const run = (async () => {
    for (let i = 0; !stopped; i++) {
      const value = `${prefix}-${i}-${VALUE}`;
      try {
        // One attempt: the retries this spec relies on are the gateway's, not the client's.
        await client!.produceOnce(topic, partition, await buildRecordBatch({ records: [{ value }] }), -1, 30_000);
        acked.push(value);
        longestGapMs = Math.max(longestGapMs, Date.now() - lastAck);
        lastAck = Date.now();
      } catch (e) {
        errors.push((e as { code?: number }).code ?? -1);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  })();
  return { acked, errors, longestGapMs: () => longestGapMs, stop: async () => { stopped = true; await run; } };
}

describe('a log dir that runs out of space', () => {
  it('goes offline; leadership moves, acks=all produce continues, nothing acknowledged is lost, and the replicas come back', async () => {
    const topic = 'full-disk';
    const healthy = 'healthy';
    const configs = { 'min.insync.replicas': '2' };
    // Broker 1 finds this topic's partition directories on the tmpfs (where an operator put them).
    for (let p = 0; p < 3; p++) mkdirSync(join(mountDir!, `${topic}-${p}`));
    const [created] = await client!.createTopics([{ name: topic, numPartitions: 3, replicationFactor: 3, configs }]);
    expect(created.errorCode).toBe(0);
    /** The partition of `t` broker 1 leads (preferred leaders are spread over the brokers), once all are in sync. */
    const ledByBroker1 = async (t: string) => {
      let led = -1;
      await waitFor(`every partition of ${t} led with a full ISR`, async () => {
        for (let p = 0; p < 3; p++) {
          const s = await stateOf(etcd!, t, p);
          if (s.isr.length !== 3) return false;
          if (s.leader === FULL_BROKER) led = p;
        }
        return led >= 0;
      }, 60_000);
      return led;
    };
    const partition = await ledByBroker1(topic);
    // This topic's directories are on the other dir, put there like the first topic's: where a new
    // replica lands otherwise depends on which internal topics were placed first (the placement
    // rule itself is log-dir-set.spec.ts's).
    for (let p = 0; p < 3; p++) mkdirSync(join(otherDir!, `${healthy}-${p}`));
    const [createdHealthy] = await client!.createTopics([{ name: healthy, numPartitions: 3, replicationFactor: 3, configs }]);
    expect(createdHealthy.errorCode).toBe(0);
    const healthyPartition = await ledByBroker1(healthy);
    for (let p = 0; p < 3; p++) {
      expect(existsSync(join(otherDir!, `${healthy}-${p}`))).toBe(true);
      expect(existsSync(join(mountDir!, `${healthy}-${p}`))).toBe(false);
    }
    const waitPartition = (what: string, ok: (s: Awaited<ReturnType<typeof stateOf>>) => boolean, timeoutMs = 90_000) =>
      waitFor(what, async () => {
        const s = await stateOf(etcd!, topic, partition);
        return ok(s) ? s : false;
      }, timeoutMs, 100);

    const producer = startProducer(topic, partition, 'v');
    // More than fits: the tmpfs fills while broker 1 leads.
    const offline = await waitFor('broker 1 reporting its log dir offline', async () => {
      const reg = await registrationOf(FULL_BROKER);
      return reg?.offlineLogDirs?.length ? reg : false;
    }, 150_000, 100);
    expect(offline.offlineLogDirs).toEqual([mountDir]);
    expect(offline.offlineReplicas).toEqual({ [topic]: [0, 1, 2] });
    const ackedAtFailure = producer.acked.length;
    expect(ackedAtFailure).toBeGreaterThan(0);

    const moved = await waitPartition('leadership off broker 1 and broker 1 out of the ISR', (s) => s.leader >= 0 && s.leader !== FULL_BROKER && !s.isr.includes(FULL_BROKER));
    expect(moved.isr.length).toBeGreaterThanOrEqual(2);
    // Produce through the gateway keeps succeeding at the new leader.
    await waitFor('acks=all writes after the failure', () => producer.acked.length >= ackedAtFailure + 50, 90_000);
    await producer.stop();

    // One write is in flight at a time: the one whose append failed was never appended, so the
    // gateway resent it to the new leader itself and the client saw no error at all.
    expect(producer.errors).toEqual([]);

    // Broker 1 keeps leading and replicating the partitions of its other dir.
    const healthyProducer = startProducer(healthy, healthyPartition, 'h');
    await waitFor('acks=all writes to the partition broker 1 still leads', () => healthyProducer.acked.length >= 20, 60_000);
    await healthyProducer.stop();
    for (let p = 0; p < 3; p++) {
      const s = await stateOf(etcd!, healthy, p);
      expect(s.isr).toContain(FULL_BROKER);
      if (p === healthyPartition) expect(s.leader).toBe(FULL_BROKER);
    }
    expect(isSubsequence(healthyProducer.acked, await readPartitionValues(client!, healthy, healthyPartition))).toBe(true);

    // Broker 1 is still up and registered (its lease is alive), serving nothing from the failed dir.
    expect(tc!.unexpectedExits).toEqual([]);
    expect(await registrationOf(FULL_BROKER)).toBeDefined();
    const pid = tc!.cluster.status().processes.find((p) => p.role === 'broker' && p.id === FULL_BROKER)?.pid;
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid!, 0)).not.toThrow();

    // DescribeLogDirs on broker 1 answers the offline dir with KAFKA_STORAGE_ERROR.
    const storage = createClient(StorageServiceClient, `${offline.host}:${offline.port}`, { tls: serviceTls(tc!.dataDir, 'gateway', 1), tracing: false });
    try {
      const described = await unary(storage.describeLogDirs.bind(storage), { allTopics: true, topics: [] }, { timeoutMs: 10_000 });
      expect(described).toMatchObject({ logDir: mountDir, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, partitions: [] });
      expect(described.logDirs.map((d) => [d.logDir, d.errorCode, d.partitions.map((x) => `${x.topic}-${x.partition}`)])).toEqual([
        [mountDir, ErrorCode.KAFKA_STORAGE_ERROR, []],
        [otherDir, ErrorCode.NONE, [`${healthy}-0`, `${healthy}-1`, `${healthy}-2`]],
      ]);
    } finally {
      storage.close();
    }
    const listed = await runCli(['brokers', 'log-dirs', '--etcd', tc!.etcdEndpoint, '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toContainEqual({ broker: FULL_BROKER, offlineLogDirs: [mountDir], offlineReplicas: { [topic]: [0, 1, 2] } });

    // Every acknowledged record is there, in order.
    const values = await readPartitionValues(client!, topic, partition);
    expect(isSubsequence(producer.acked, values)).toBe(true);
    // Figures for docs/reliability.md.
    process.stdout.write(`full disk: ${producer.acked.length} acknowledged (${ackedAtFailure} before the dir went offline), ` +
      `${values.length} read back, failed attempts ${JSON.stringify(producer.errors)}, longest gap between acks ${producer.longestGapMs()} ms\n`);

    // Space comes back; the operator brings the dir online; the replicas reopen and catch up.
    execFileSync('mount', ['-o', `remount,size=${64 << 20}`, mountDir!]);
    // The CLI calls the broker as the dev cluster's operator (dms://admin/0); a gateway may not.
    const asGateway = await runCli(['brokers', 'log-dirs', '--etcd', tc!.etcdEndpoint, '--broker', String(FULL_BROKER), '--online', mountDir!,
      ...internalSslArgs(serviceTlsFiles(tc!.dataDir, 'gateway', 1))]);
    expect(asGateway.code).toBe(1);
    expect(asGateway.stderr).toMatch(/PERMISSION_DENIED|not allowed|may not/i);
    const out = await runCli(['brokers', 'log-dirs', '--etcd', tc!.etcdEndpoint, '--data-dir', tc!.dataDir, '--broker', String(FULL_BROKER), '--online', mountDir!]);
    expect(out.code).toBe(0);
    await waitFor('broker 1 registered without offline dirs', async () => !(await registrationOf(FULL_BROKER))?.offlineLogDirs, 30_000);
    await waitFor('broker 1 back in the ISR of every partition', async () => {
      for (const t of [topic, healthy]) for (let p = 0; p < 3; p++) if (!(await stateOf(etcd!, t, p)).isr.includes(FULL_BROKER)) return false;
      return true;
    }, 120_000, 200);
    expect(tc!.unexpectedExits).toEqual([]);
  });
});
