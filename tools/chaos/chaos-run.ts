import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterView, createEtcdClient } from '@dms/cluster';
import { buildRecordBatch } from '@dms/kafka-codec';
import { IdempotentProducer, KafkaClient, MAX_IDEMPOTENT_IN_FLIGHT, readPartitionValues } from '@dms/kafka-client';
import { DevCluster, freePort, waitFor } from '@dms/devcluster';
import { longestGapMs, verify, type Acked, type DeliveryMode, type Verdict } from './verify';

export type FaultKind = 'leader-broker' | 'controller' | 'gateway' | 'etcd';

export interface ChaosOptions {
  durationS: number;
  partitions: number;
  faults: FaultKind[];
  /** Time a killed process stays down before it is restarted. */
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
  /** Extra config per role passed to the services (e.g. replica.lag.time.max.ms). */
  config?: { broker?: Record<string, string>; controller?: Record<string, string>; gateway?: Record<string, string> };
  log?: (line: string) => void;
}

export interface FaultReport {
  kind: FaultKind;
  target: string;
  startedAtS: number;
  /** Longest time any partition went without an acknowledged write, from the kill until 5 s after the restart. */
  unavailableMs: number;
}

export interface ChaosReport extends Verdict {
  durationS: number;
  partitions: number;
  faults: FaultReport[];
  longestUnavailableMs: Partial<Record<FaultKind, number>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOPIC = 'chaos';

/**
 * Produces sequence-numbered records with acks=all (idempotently in idempotent mode) to a
 * replication factor 3 topic with min.insync.replicas=2 while killing (SIGKILL) and restarting, in turn, a partition leader, the
 * leading controller, a gateway and etcd; then reads everything back and judges it.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => undefined);
  const ownDir = !o.dataDir;
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'dms-chaos-'));
  const withTtl = (extra?: Record<string, string>) => ({ 'etcd.lease.ttl.ms': String(o.leaseTtlMs), ...extra });
  const cluster = await DevCluster.start({
    brokers: 3,
    controllers: 3,
    gateways: 2,
    port: await freePort(),
    dataDir,
    distDir: o.distDir,
    config: { broker: withTtl(o.config?.broker), controller: withTtl(o.config?.controller), gateway: withTtl(o.config?.gateway) },
  });
  const gateways = cluster.status().processes.filter((p) => p.role === 'gateway').map((p) => `127.0.0.1:${p.ports.kafkaPort}`);
  const client = new KafkaClient({ bootstrapServers: gateways, requestTimeoutMs: 10_000, retries: 0 });
  const etcd = createEtcdClient([cluster.etcdEndpoint]);
  const view = new ClusterView(etcd, cluster.clusterName).start();
  const acked: Acked[] = [];
  const ackTimes: number[][] = Array.from({ length: o.partitions }, () => []);
  const faults: FaultReport[] = [];
  const t0 = Date.now();
  let producing = true;
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

    const deadline = t0 + o.durationS * 1000;
    let i = 0;
    while (Date.now() + (o.downtimeS + o.settleS) * 1000 < deadline && o.faults.length > 0) {
      const kind = o.faults[i++ % o.faults.length];
      const start = Date.now();
      const target = await inject(kind, cluster, view);
      log(`${((start - t0) / 1000).toFixed(1)}s: killed ${target} (${kind})`);
      await sleep(o.downtimeS * 1000);
      await recover(kind, target, cluster);
      log(`${((Date.now() - t0) / 1000).toFixed(1)}s: restarted ${target}`);
      await sleep(o.settleS * 1000);
      faults.push({ kind, target, startedAtS: (start - t0) / 1000, unavailableMs: longestGapMs(ackTimes, start, Math.min(Date.now(), start + (o.downtimeS + 5) * 1000)) });
    }
    await sleep(Math.max(0, deadline - Date.now()));
    producing = false;
    await Promise.all(producers);

    const readBack = new Map<number, string[]>();
    for (let p = 0; p < o.partitions; p++) {
      const end = await waitFor(`partition ${p} readable`, async () => (await client.listOffsets(TOPIC, p, -1n)).offset, 60_000, 200);
      readBack.set(p, await readPartitionValues(client, TOPIC, p, end));
    }
    const verdict = verify(acked, readBack, mode);
    const longest: Partial<Record<FaultKind, number>> = {};
    for (const f of faults) longest[f.kind] = Math.max(longest[f.kind] ?? 0, f.unavailableMs);
    return { ...verdict, durationS: (Date.now() - t0) / 1000, partitions: o.partitions, faults, longestUnavailableMs: longest };
  } finally {
    producing = false;
    client.close();
    await view.close().catch(() => undefined);
    etcd.close();
    await cluster.stop().catch(() => undefined);
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
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

async function inject(kind: FaultKind, cluster: DevCluster, view: ClusterView): Promise<string> {
  switch (kind) {
    case 'leader-broker': {
      const leader = view.partitions(TOPIC).get(0)?.leader ?? 1;
      await cluster.kill('broker', leader, 'SIGKILL');
      return `broker ${leader}`;
    }
    case 'controller': {
      const leader = view.controllerLeader()?.id ?? 1;
      await cluster.kill('controller', leader, 'SIGKILL');
      return `controller ${leader}`;
    }
    case 'gateway':
      await cluster.kill('gateway', 1, 'SIGKILL');
      return 'gateway 1';
    case 'etcd':
      await cluster.killEtcd('SIGKILL');
      return 'etcd';
  }
}

async function recover(kind: FaultKind, target: string, cluster: DevCluster): Promise<void> {
  if (kind === 'etcd') return cluster.restartEtcd();
  const [role, id] = target.split(' ');
  await cluster.restart(role as 'broker' | 'controller' | 'gateway', Number(id));
}

