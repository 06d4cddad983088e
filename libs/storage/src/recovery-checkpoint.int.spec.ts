// The broker's recovery-point-offset-checkpoint (real etcd, a real ReplicaManager): logs open
// verifying every segment past their checkpointed point (0 without an entry), and a clean close
// checkpoints each log's end.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { ClusterView, clusterIdKey, clusterIdRecord, partitionKey, partitionState, topicKey, topicRecord } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { buildRecordBatch } from '@dms/kafka-codec';
import { PartitionLog } from '@dms/log';
import { createLogger } from '@dms/platform';
import { cleanup, startTestEtcd, type TestEtcd } from '@dms/testing';
import { RECOVERY_POINT_CHECKPOINT_FILE } from './recovery-checkpoint';
import { ReplicaManager } from './replica-manager';

jest.setTimeout(60_000);

const CLUSTER = 'recovery';
const CLUSTER_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const logger = createLogger({ service: 'spec', id: 0, level: 'silent' });

let etcd: TestEtcd;
let client: Etcd3;
let logDir: string;

beforeAll(async () => {
  etcd = await startTestEtcd();
  client = new Etcd3({ hosts: `http://${etcd.endpoint}` });
  await client.put(clusterIdKey(CLUSTER)).value(clusterIdRecord.encode({ clusterId: CLUSTER_ID }));
  logDir = mkdtempSync(join(tmpdir(), 'dms-recovery-'));
});

afterAll(async () => {
  client?.close();
  rmSync(logDir, { recursive: true, force: true });
  await cleanup();
});

/** Six one-batch segments (offsets 0..11) written straight to disk, as a broker that crashed left them. */
async function writeSegments(dir: string, topicId: string, segmentBytes: number): Promise<void> {
  const log = await PartitionLog.open(dir, { topicId, segmentBytes });
  for (let i = 0; i < 6; i++) await log.append(await buildRecordBatch({ records: [{ value: `v${i}a` }, { value: `v${i}b` }] }), { leaderEpoch: 0 });
  await log.close();
}

async function corruptFirstBatch(dir: string, base: number): Promise<void> {
  const fh = await open(join(dir, `${String(base).padStart(20, '0')}.log`), 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, 65);
  b[0] ^= 0xff;
  await fh.write(b, 0, 1, 65);
  await fh.close();
}

it('verifies past the checkpointed recovery point (from 0 without an entry) and checkpoints the end on a clean close', async () => {
  const topicId = randomUUID();
  const one = (await buildRecordBatch({ records: [{ value: 'v0a' }, { value: 'v0b' }] })).length;
  const segmentBytes = one + 10;
  await writeSegments(join(logDir, 't-0'), topicId, segmentBytes);
  await writeSegments(join(logDir, 't-1'), topicId, segmentBytes);
  // t-0: point 8, corruption at 4 (below it: trusted). t-1: no entry, corruption at 6 (verified from 0).
  writeFileSync(join(logDir, RECOVERY_POINT_CHECKPOINT_FILE), '0\n1\nt 0 8\n');
  await corruptFirstBatch(join(logDir, 't-0'), 4);
  await corruptFirstBatch(join(logDir, 't-1'), 6);

  const state = { replicas: [1, 2], leader: 2, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 0 };
  await client
    .if(topicKey(CLUSTER, 't'), 'Create', '==', 0)
    .then(
      client.put(topicKey(CLUSTER, 't')).value(topicRecord.encode({ topicId, partitions: 2, replicationFactor: 2, configs: {}, createdAtMs: Date.now() })),
      client.put(partitionKey(CLUSTER, 't', 0)).value(partitionState.encode(state)),
      client.put(partitionKey(CLUSTER, 't', 1)).value(partitionState.encode(state)),
    )
    .commit();

  const view = new ClusterView(client, CLUSTER).start();
  await view.ready;
  const rm = new ReplicaManager(view, { brokerId: 1, logDir, logConfig: { segmentBytes }, clusterId: CLUSTER_ID, hwCheckpointIntervalMs: 0, logger });
  try {
    await rm.start();
    const [p0, p1] = await waitFor('both open', () => {
      const a = rm.getNow('t', 0);
      const b = rm.getNow('t', 1);
      return a && b ? [a, b] : undefined;
    }, 20_000);
    expect(p0.log.logEndOffset).toBe(12n); // the corrupt segment lies below the point: trusted
    expect(p1.log.logEndOffset).toBe(6n); // verified: cut at the corrupt batch
  } finally {
    await rm.close();
    await view.close();
  }
  expect(readFileSync(join(logDir, RECOVERY_POINT_CHECKPOINT_FILE), 'utf8').split('\n').slice(2).filter(Boolean).sort()).toEqual(['t 0 12', 't 1 6']);
});
