import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterView, createEtcdClient } from '@dms/cluster';
import { buildRecordBatch } from '@dms/kafka-codec';
import { IdempotentProducer, KafkaClient, MAX_IDEMPOTENT_IN_FLIGHT, readPartitionRecords } from '@dms/kafka-client';
import { DevCluster, freePort, waitFor, type UnexpectedExit } from '@dms/devcluster';
import { isHostFault, needsDistinctAddresses, startFault, type ActiveFault, type FaultKind } from './faults';
import { NetworkCut, onExit, requireRoot, SmallDisk } from './host-faults';
import { liveReaders } from './live-reader';
import { ReadCheck, type ReadVerdict, type SeenRecord } from './read-check';
import { longestGapMs, verify, type Acked, type DeliveryMode, type Verdict } from './verify';

export type { FaultKind } from './faults';

export interface ChaosOptions {
  durationS: number;
  partitions: number;
  faults: FaultKind[];
  /** Time a killed process stays down before it is restarted (host faults hold for their own time, see hostHoldMs). */
  downtimeS: number;
  /** Pause between the end of one fault and the next. */
  settleS: number;
  distDir: string;
  dataDir?: string;
  leaseTtlMs: number;
  /**
   * idempotent: the idempotent producer, five records in flight per partition; any duplicate in
   * the read-back fails the run. Default at-least-once: a plain producer, one record at a time.
   */
  mode?: DeliveryMode;
  /** Size of each broker's tmpfs log dir in disk-full runs (default 64 MiB). */
  diskMiB?: number;
  /** Extra config per role passed to the services (e.g. replica.lag.time.max.ms). */
  config?: { broker?: Record<string, string>; controller?: Record<string, string>; gateway?: Record<string, string> };
  log?: (line: string) => void;
}

export interface FaultReport {
  kind: FaultKind;
  target: string;
  startedAtS: number;
  /** How long the fault held (process down, network cut, process stopped, disk full). */
  heldMs: number;
  /**
   * Longest time any partition went without an acknowledged write, from the fault until the next
   * fault began (or producing stopped): so a slow recovery after the undo counts too.
   */
  unavailableMs: number;
  /** From the undo until every partition had an acknowledged write again; null if none came before the run ended. */
  recoveredAfterMs: number | null;
  /** Processes that died on their own during the fault (they were restarted after it). */
  exits: string[];
}

export interface ChaosReport extends Verdict, ReadVerdict {
  durationS: number;
  partitions: number;
  faults: FaultReport[];
  longestUnavailableMs: Partial<Record<FaultKind, number>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOPIC = 'chaos';

/**
 * Produces sequence-numbered records with acks=all (idempotently in idempotent mode) to a
 * replication factor 3 topic with min.insync.replicas=2 while a consumer per partition reads along,
 * and injects the chosen faults in turn: SIGKILL and restart of a partition leader, the leading
 * controller, a gateway or etcd; a partition leader cut from etcd, its followers or the controllers;
 * the leader stopped for half the session TTL or twice it; the leader's disk filled. Then reads
 * everything back and judges it: nothing acknowledged lost or reordered, nothing stale or vanished
 * read.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => undefined);
  const rootFault = o.faults.find((f) => needsDistinctAddresses(f) || f === 'disk-full');
  if (rootFault) requireRoot(rootFault);
  const hostFaults = o.faults.some(isHostFault);
  const ownDir = !o.dataDir;
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'dms-chaos-'));
  const net = new NetworkCut();
  const disks = new Map<number, SmallDisk>();
  let cluster: DevCluster | undefined;
  let active: ActiveFault | undefined;
  let forgetCluster: (() => void) | undefined;
  const withTtl = (extra?: Record<string, string>) => ({ 'etcd.lease.ttl.ms': String(o.leaseTtlMs), ...extra });
  // A follower cut off or stopped must leave the ISR on the scale of the faults, not Kafka's 30 s.
  const brokerExtra = hostFaults ? { 'replica.lag.time.max.ms': String(2 * o.leaseTtlMs), ...o.config?.broker } : o.config?.broker;
  try {
    if (o.faults.includes('disk-full')) {
      for (let id = 1; id <= 3; id++) disks.set(id, await SmallDisk.mount(join(dataDir, `broker-${id}`), o.diskMiB ?? 64));
    }
    cluster = await DevCluster.start({
      brokers: 3,
      controllers: 3,
      gateways: 2,
      port: await freePort(),
      dataDir,
      distDir: o.distDir,
      // A /24 of its own, so the nftables rules of this run touch no other distinct-address cluster.
      distinctAddresses: o.faults.some(needsDistinctAddresses) ? `127.${1 + (process.pid % 250)}.${1 + Math.floor(Math.random() * 250)}` : undefined,
      config: { broker: withTtl(brokerExtra), controller: withTtl(o.config?.controller), gateway: withTtl(o.config?.gateway) },
    });
    // Should this process exit mid-run (an interrupted CLI), take the cluster down with it.
    const started = cluster;
    forgetCluster = onExit(() => {
      started.killAllSync();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    });
    return await drive(o, cluster, dataDir, net, disks, (f) => (active = f), log);
  } finally {
    forgetCluster?.();
    await active?.undo().catch(() => undefined);
    await net.close().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    for (const d of disks.values()) await d.unmount().catch(() => undefined);
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function drive(
  o: ChaosOptions, cluster: DevCluster, dataDir: string, net: NetworkCut, disks: Map<number, SmallDisk>,
  setActive: (f: ActiveFault | undefined) => void, log: (line: string) => void,
): Promise<ChaosReport> {
  const gateways = cluster.status().processes.filter((p) => p.role === 'gateway').map((p) => `${p.address}:${p.ports.kafkaPort}`);
  const client = new KafkaClient({ bootstrapServers: gateways, requestTimeoutMs: 10_000, retries: 0 });
  const reader = new KafkaClient({ bootstrapServers: gateways, requestTimeoutMs: 10_000, retries: 0 });
  const etcd = createEtcdClient([cluster.etcdEndpoint]);
  const view = new ClusterView(etcd, cluster.clusterName).start();
  const exits: string[] = [];
  const onExit = (e: UnexpectedExit) => exits.push(`${e.role} ${e.id} exited (${e.signal ? `signal ${e.signal}` : `code ${e.code}`})${e.tail.length ? `: ${e.tail[e.tail.length - 1]}` : ''}`);
  cluster.on('unexpected-exit', onExit);
  const acked: Acked[] = [];
  const ackTimes: number[][] = Array.from({ length: o.partitions }, () => []);
  const faults: FaultReport[] = [];
  const check = new ReadCheck();
  const t0 = Date.now();
  let producing = true;
  let readers: Promise<void>[] = [];
  try {
    await view.ready;
    const created = await client.createTopics([{ name: TOPIC, numPartitions: o.partitions, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    if (created[0].errorCode !== 0) throw new Error(`could not create ${TOPIC}: error ${created[0].errorCode} ${created[0].errorMessage ?? ''}`);
    const mode = o.mode ?? 'at-least-once';
    log(`cluster up in ${dataDir}; producing to ${o.partitions} partitions (RF 3, min.insync.replicas 2, acks all, ${mode})`);

    const onAck = (partition: number, seq: number) => {
      acked.push({ partition, seq });
      ackTimes[partition].push(Date.now());
    };
    const producers = mode === 'idempotent' ? await idempotentProducers(client, o.partitions, () => producing, onAck) : Array.from({ length: o.partitions }, async (_, p) => {
      let seq = 0;
      while (producing) {
        const batch = await buildRecordBatch({ records: [{ key: `p${p}`, value: `${p}:${seq}` }] });
        try {
          await client.produce(TOPIC, p, batch, -1, 10_000);
          onAck(p, seq);
          seq++;
        } catch {
          // Unknown outcome: resend the same sequence number (a duplicate, never a loss or reorder).
          await sleep(100);
        }
      }
    });
    readers = liveReaders(reader, TOPIC, o.partitions, check, () => producing);

    const ctx = { cluster, view, topic: TOPIC, leaseTtlMs: o.leaseTtlMs, downtimeMs: o.downtimeS * 1000, net, disks };
    const deadline = t0 + o.durationS * 1000;
    let i = 0;
    while (o.faults.length > 0) {
      const kind = o.faults[i % o.faults.length];
      // Every listed fault runs once; the duration bounds the repeats.
      if (i >= o.faults.length && Date.now() + (o.downtimeS + o.settleS) * 1000 >= deadline) break;
      i++;
      const start = Date.now();
      const exitsBefore = exits.length;
      const fault = await startFault(kind, ctx);
      setActive(fault);
      log(`${((start - t0) / 1000).toFixed(1)}s: ${kind}: ${fault.target}`);
      await sleep(fault.holdMs);
      await fault.undo();
      setActive(undefined);
      const undoneAt = Date.now();
      await restartDead(cluster, log);
      log(`${((Date.now() - t0) / 1000).toFixed(1)}s: ${kind} undone`);
      await sleep(o.settleS * 1000);
      faults.push({
        kind, target: fault.target, startedAtS: (start - t0) / 1000, heldMs: undoneAt - start,
        unavailableMs: 0, // measured once the run is over, up to the next fault
        recoveredAfterMs: null,
        exits: exits.slice(exitsBefore),
      });
    }
    await sleep(Math.max(0, deadline - Date.now()));
    const producingEnd = Date.now();
    producing = false;
    await Promise.all(producers);
    faults.forEach((f, n) => {
      const start = t0 + f.startedAtS * 1000;
      const undoneAt = start + f.heldMs;
      const next = n + 1 < faults.length ? t0 + faults[n + 1].startedAtS * 1000 : producingEnd;
      f.unavailableMs = longestGapMs(ackTimes, start, next);
      const firstAcks = ackTimes.map((times) => times.find((t) => t >= undoneAt));
      f.recoveredAfterMs = firstAcks.every((t) => t !== undefined) ? Math.max(...firstAcks.map((t) => t! - undoneAt)) : null;
    });
    await Promise.all(readers);

    const readBack = new Map<number, string[]>();
    const finalLog = new Map<number, SeenRecord[]>();
    for (let p = 0; p < o.partitions; p++) {
      const end = await waitFor(`partition ${p} readable`, async () => (await client.listOffsets(TOPIC, p, -1n)).offset, 60_000, 200);
      const records = (await readPartitionRecords(client, TOPIC, p, end)).map((r) => ({ offset: r.offset, value: r.value?.toString() ?? '' }));
      finalLog.set(p, records);
      readBack.set(p, records.map((r) => r.value));
    }
    const verdict = verify(acked, readBack, mode);
    const reads = check.verdict(finalLog);
    const longest: Partial<Record<FaultKind, number>> = {};
    for (const f of faults) longest[f.kind] = Math.max(longest[f.kind] ?? 0, f.unavailableMs);
    return {
      ...verdict, ...reads,
      passed: verdict.passed && reads.staleReads === 0 && reads.vanishedReads === 0,
      durationS: (Date.now() - t0) / 1000, partitions: o.partitions, faults, longestUnavailableMs: longest,
    };
  } finally {
    producing = false;
    cluster.off('unexpected-exit', onExit);
    await Promise.all(readers).catch(() => undefined);
    client.close();
    reader.close();
    await view.close().catch(() => undefined);
    etcd.close();
  }
}

/** Restarts every service that died during a fault, so the next fault meets a whole cluster. */
async function restartDead(cluster: DevCluster, log: (line: string) => void): Promise<void> {
  for (const p of cluster.status().processes) {
    if (p.state === 'running') continue;
    log(`restarting ${p.role} ${p.id}, which exited during the fault`);
    await cluster.restart(p.role, p.id);
  }
}

/**
 * Per partition, records `<p>:<seq>` through one idempotent producer with up to five in flight.
 * A send that fails (delivery timeout, fencing) is not resent: its outcome is unknown, and
 * writing it again would be the application's duplicate, not the producer's. After a fatal error
 * a new producer (a new id) takes over.
 */
async function idempotentProducers(
  client: KafkaClient, partitions: number, running: () => boolean, onAck: (partition: number, seq: number) => void,
): Promise<Promise<void>[]> {
  const create = () => IdempotentProducer.create(client, { deliveryTimeoutMs: 60_000, requestTimeoutMs: 10_000, retryBackoffMs: 100 });
  let producer = await create();
  let replacing: Promise<IdempotentProducer> | undefined;
  const replace = (failed: IdempotentProducer) => {
    if (producer !== failed) return;
    replacing ??= create().then((p) => (producer = p)).finally(() => (replacing = undefined));
  };
  return Array.from({ length: partitions }, async (_, p) => {
    const outstanding = new Set<Promise<void>>();
    for (let seq = 0; running(); seq++) {
      while (outstanding.size >= MAX_IDEMPOTENT_IN_FLIGHT) await Promise.race(outstanding);
      if (replacing) await replacing.catch(() => sleep(1000));
      const current = producer;
      const batch = await buildRecordBatch({ records: [{ key: `p${p}`, value: `${p}:${seq}` }] });
      const n = seq;
      const sent: Promise<void> = current.send(TOPIC, p, batch).then(
        () => onAck(p, n),
        async () => {
          replace(current);
          await sleep(100);
        },
      ).finally(() => outstanding.delete(sent));
      outstanding.add(sent);
    }
    await Promise.all(outstanding);
  });
}
