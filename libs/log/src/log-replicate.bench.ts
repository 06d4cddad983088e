/**
 * Micro benchmark, not a spec: the log side of one acks=all RF 3 partition in one process,
 * without RPC. A leader log takes appends of 1-record batches of 1 KiB (IN_FLIGHT at once);
 * two follower logs each read from the leader at their own end the moment it grows (as a woken
 * long poll does) and append what they read with its offsets; an append completes when both
 * followers have it (the high watermark). Reports CPU microseconds (all threads) per replicated
 * append, and disk reads avoided by the in-memory tail show up here directly.
 * Run from the repository root:
 *   npx esbuild libs/log/src/log-replicate.bench.ts --bundle --platform=node --packages=external | IN_FLIGHT=1 node -
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { PartitionLog } from './partition-log';

const APPENDS = Number(process.env.APPENDS ?? 20_000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 1);
const all = (end: bigint) => ({ upperBound: end, minOneBatch: true });

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dms-log-replicate-bench-'));
  try {
    const template = await buildRecordBatch({ records: [{ value: Buffer.alloc(1024, 'x') }] });
    const leader = await PartitionLog.open(join(dir, 'leader'), {});
    const followers = [await PartitionLog.open(join(dir, 'f1'), {}), await PartitionLog.open(join(dir, 'f2'), {})];
    let grew: (() => void) | undefined;
    let hwWaiters: { offset: bigint; resolve: () => void }[] = [];
    const advance = () => {
      const hw = followers.reduce((m, f) => (f.logEndOffset < m ? f.logEndOffset : m), leader.logEndOffset);
      const ready = hwWaiters.filter((w) => w.offset <= hw);
      if (ready.length === 0) return;
      hwWaiters = hwWaiters.filter((w) => w.offset > hw);
      for (const w of ready) w.resolve();
    };
    let stop = false;
    const parked: (() => void)[] = [];
    const follow = async (f: PartitionLog) => {
      while (!stop) {
        const { records } = await leader.read(f.logEndOffset, 1 << 20, all(leader.logEndOffset));
        if (records.length === 0) {
          await new Promise<void>((r) => parked.push(r));
          continue;
        }
        await f.appendWithOffsets(records);
        advance();
      }
    };
    grew = () => {
      for (const r of parked.splice(0)) r();
    };
    const loops = followers.map(follow);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < APPENDS; i++) {
      const p = leader
        .append(Buffer.from(template), { leaderEpoch: 0 })
        .then((res) => {
          grew?.();
          return new Promise<void>((resolve) => {
            hwWaiters.push({ offset: res.lastOffset + 1n, resolve });
            advance();
          });
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const used = process.cpuUsage(cpu);
    const secs = (performance.now() - started) / 1000;
    stop = true;
    grew();
    await Promise.all(loops);
    console.log(
      `in-flight ${IN_FLIGHT}: ${((used.user + used.system) / APPENDS).toFixed(1)} CPU us per replicated append, ` +
        `${(APPENDS / secs).toFixed(0)} appends/s, leader writes ${leader.stats().writeCalls}`,
    );
    for (const l of [leader, ...followers]) await l.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
