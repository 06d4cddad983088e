/**
 * Micro benchmark, not a spec: the broker side of one acks=all RF 3 partition in one process,
 * without RPC. A leader replica takes appends of 1-record batches of 1 KiB (IN_FLIGHT at once),
 * each waiting in the ack purgatory; two followers each long-poll the leader through the real
 * ReplicaFetch handler at their own end, append what it answers with its offsets and ask again
 * (their next fetch is the acknowledgement that moves the high watermark). Reports CPU
 * microseconds (all threads) per replicated append: the handler, the leader's replication state,
 * the purgatory and the logs, without the transport.
 * Run from the repository root:
 *   npx esbuild libs/storage/src/replica-path.bench.ts --bundle --platform=node --packages=external | IN_FLIGHT=1 node -
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { PartitionLog } from '@dms/log';
import type { Logger } from '@dms/platform';
import { LeaderState } from '@dms/replication';
import type { ReplicaFetchRequest } from '@dms/rpc';
import { PartitionReplica } from './partition-replica';
import { createReplicaFetchHandler } from './replica-fetch-handler';
import type { ReplicaManager } from './replica-manager';

const APPENDS = Number(process.env.APPENDS ?? 20_000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 1);
const logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined } as unknown as Logger;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dms-replica-path-bench-'));
  try {
    const template = await buildRecordBatch({ records: [{ value: Buffer.alloc(1024, 'x') }] });
    const log = await PartitionLog.open(join(dir, 'leader'), {});
    await log.assignLeaderEpoch(0, 0n);
    const leader = new PartitionReplica('t', 0, 'id', log, {}, 2);
    leader.role = 'leader';
    leader.leaderId = 1;
    leader.leaderEpoch = 0;
    leader.leader = new LeaderState({ leaderId: 1, leaderEpoch: 0, epochStartOffset: 0n, replicas: [1, 2, 3], isr: [1, 2, 3], partitionEpoch: 0, highWatermark: 0n, nowMs: Date.now() });
    const replicas = { leaderNow: () => leader } as unknown as ReplicaManager;
    const handle = createReplicaFetchHandler({ replicas, logger });
    const followers = [await PartitionLog.open(join(dir, 'f2'), {}), await PartitionLog.open(join(dir, 'f3'), {})];
    let stop = false;
    const follow = async (id: number, f: PartitionLog): Promise<void> => {
      let correlationId = 0n;
      while (!stop) {
        const req: ReplicaFetchRequest = {
          correlationId: correlationId++,
          replicaId: id,
          maxWaitMs: 500,
          maxBytes: 10 << 20,
          partitions: [{ topic: 't', partition: 0, fetchOffset: f.logEndOffset, lastFetchedEpoch: f.leaderEpochs.at(-1)?.epoch ?? -1, currentLeaderEpoch: 0, partitionMaxBytes: 1 << 20, logStartOffset: f.logStartOffset }],
        };
        const res = await handle(req);
        const p = res.partitions[0]!;
        if (p.records.length > 0) await f.appendWithOffsets(p.records);
        if (p.highWatermark > f.highWatermark) f.highWatermark = p.highWatermark < f.logEndOffset ? p.highWatermark : f.logEndOffset;
      }
    };
    const loops = followers.map((f, i) => follow(i + 2, f));
    const produce = async (): Promise<void> => {
      const res = await log.append(Buffer.from(template), { leaderEpoch: 0 });
      leader.onLocalAppend();
      const code = await leader.awaitReplication(res.lastOffset + 1n, 30_000, true);
      if (code !== 0) throw new Error(`append failed with ${code}`);
    };
    const run = async (n: number): Promise<void> => {
      let next = 0;
      const worker = async () => {
        while (next++ < n) await produce();
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    };
    await run(Math.min(2_000, APPENDS)); // warm-up
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await run(APPENDS);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    stop = true;
    // A parked fetch answers by its maxWait.
    await Promise.all(loops);
    const us = (cpu.user + cpu.system) / APPENDS;
    console.log(`${APPENDS} replicated appends, ${IN_FLIGHT} in flight: ${us.toFixed(1)} µs CPU each (user ${(cpu.user / APPENDS).toFixed(1)}, system ${(cpu.system / APPENDS).toFixed(1)}), ${(APPENDS / (wallMs / 1000)).toFixed(0)}/s`);
    for (const f of followers) await f.close();
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
