// `dms dev up` exercises a new cluster before it reports ready (see warmUp).
import { buildRecordBatch, wholeBatchHeaders } from '@dms/kafka-codec';
import { describeError, KafkaClient, securityFromFile, type ConnectionOptions } from '@dms/kafka-client';
import { ErrorCode, isRetriable, KafkaError } from '@dms/kafka-errors';
import { ApiKey, type ProduceResponse } from '@dms/kafka-schema';
import type { ClusterJson } from '@dms/devcluster';

/** The temporary topic; a leftover (an earlier `dev up` stopped during its warm-up) is reused, then deleted. */
export const WARM_UP_TOPIC = 'dms-dev-warm-up';

const PARTITIONS = 6;
/** One-record produce requests outstanding at once, as from many clients with linger.ms=0. */
const SINGLE_RECORD_SENDERS = 64;
/**
 * The Produce versions those senders take in turn: librdkafka's (7), the bench's (8), the first
 * flexible one (9) and the newest this client speaks (11), so the gateway compiles each branch.
 */
const PRODUCE_VERSIONS = [7, 8, 9, 11];
/** The paced half: one-record requests per second, and at most this many outstanding. */
const PACED_PER_SECOND = 2_000;
const PACED_OUTSTANDING = 256;
/** Past its load, how long a warm-up may take (topic creation, deletion) before its client is closed. */
const GRACE_MS = 30_000;

export interface WarmUpTarget {
  bootstrap: string;
  security: Pick<ConnectionOptions, 'tls' | 'sasl'>;
  brokers: number;
}

export interface WarmUpResult {
  produced: number;
  fetched: number;
}

/**
 * Where the warm-up connects: gateway 1's PLAINTEXT listener, or on a secure cluster its SASL_SSL
 * listener as the admin super user (anonymous clients may do nothing there).
 */
export function warmUpTarget(status: ClusterJson, brokers: number): WarmUpTarget {
  const admin = (status.security as { admin?: { commandConfig?: string } } | undefined)?.admin;
  const gateway = status.processes.find((p) => p.role === 'gateway' && p.id === 1);
  if (admin?.commandConfig && gateway?.ports.saslSslPort) {
    return { bootstrap: `${gateway.address}:${gateway.ports.saslSslPort}`, security: securityFromFile(admin.commandConfig), brokers };
  }
  return { bootstrap: status.bootstrap, security: {}, brokers };
}

/**
 * Produces to and fetches from a temporary topic for `durationMs`, then deletes it. A fresh
 * cluster's services run their hot paths unoptimised and compile them on the cores that serve the
 * first clients: on a 2-core machine a fresh cluster's first 2-3 s of 1,000 acks=all RF 3 records/s
 * waited 10-35 ms (p50) instead of ~2 ms. The load is what clients send: one-record batches with
 * acks=all (linger.ms=0) in several Produce versions, 100-record batches with acks=1 and acks=all,
 * fetches; then one-record batches at a steady 2,000 a second. Bounded: the load stops at its deadline, and the client is closed (failing what is
 * pending) GRACE_MS after it, or at once when `signal` aborts (the topic is then left for the
 * next warm-up to reuse and delete).
 */
export async function warmUp(target: WarmUpTarget, durationMs: number, signal?: AbortSignal): Promise<WarmUpResult> {
  const client = new KafkaClient({ bootstrapServers: target.bootstrap, clientId: 'dms-dev-warm-up', retries: 20, retryBackoffMs: 100, ...target.security });
  const guard = setTimeout(() => client.close(), durationMs + GRACE_MS);
  const onAbort = () => client.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  const result: WarmUpResult = { produced: 0, fetched: 0 };
  try {
    const rf = Math.min(3, target.brokers);
    const [created] = await client.createTopics([{
      name: WARM_UP_TOPIC,
      numPartitions: PARTITIONS,
      replicationFactor: rf,
      configs: { 'min.insync.replicas': String(Math.min(2, rf)) },
    }]);
    const code = created?.errorCode ?? ErrorCode.NONE;
    if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new KafkaError(code, created?.errorMessage ?? `cannot create ${WARM_UP_TOPIC}`);
    const value = Buffer.alloc(1024, 'w');
    const one = await buildRecordBatch({ records: [{ value }] });
    const hundred = await buildRecordBatch({ records: Array.from({ length: 100 }, () => ({ value })) });
    // Every partition once through the client's retries: its leader is elected when this returns.
    await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => client.produce(WARM_UP_TOPIC, p, one, -1, 5_000)));
    result.produced += PARTITIONS;

    // First half: everything at once, as fast as it goes (many requests per event-loop turn).
    // Second half: one-record requests paced, mostly one per turn, as clients at a steady rate
    // send them; these paths stay hottest for the first client.
    const burstEnd = Date.now() + durationMs / 2;
    const deadline = Date.now() + durationMs;
    const before = (t: number) => () => Date.now() < t && !signal?.aborted;
    let next = 0;
    const produceOnce = async (batch: Buffer, records: number, acks: number, version: number) => {
      const p = next++ % PARTITIONS;
      const conn = await client.leaderConnection(WARM_UP_TOPIC, p);
      const body = { transactionalId: null, acks, timeoutMs: 5_000, topicData: [{ name: WARM_UP_TOPIC, partitionData: [{ index: p, records: batch }] }] };
      const res = await conn.request<ProduceResponse>(ApiKey.Produce, body, { version, timeoutMs: 10_000 });
      const err = res.responses[0]?.partitionResponses[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (err === ErrorCode.NONE) result.produced += records;
      else if (isRetriable(err)) await client.refreshTopic(WARM_UP_TOPIC);
      else throw new KafkaError(err);
    };
    const produceLoop = async (running: () => boolean, batch: Buffer, records: number, acks: number, version: number) => {
      while (running()) await produceOnce(batch, records, acks, version);
    };
    const fetchLoop = async (running: () => boolean) => {
      const offsets: bigint[] = new Array<bigint>(PARTITIONS).fill(0n);
      while (running()) {
        const p = next++ % PARTITIONS;
        const { records } = await client.fetch(WARM_UP_TOPIC, p, offsets[p], 1 << 20, 100);
        for (const h of wholeBatchHeaders(records)) {
          offsets[p] = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
          result.fetched += h.recordCount;
        }
      }
    };
    const paced = async (running: () => boolean) => {
      const start = Date.now();
      const pending = new Set<Promise<void>>();
      let failure: unknown;
      let sent = 0;
      while (running() && failure === undefined) {
        const due = Math.floor(((Date.now() - start) * PACED_PER_SECOND) / 1000);
        for (; sent < due && pending.size < PACED_OUTSTANDING; sent++) {
          const send: Promise<void> = produceOnce(one, 1, -1, PRODUCE_VERSIONS[sent % PRODUCE_VERSIONS.length])
            .catch((e: unknown) => { failure ??= e; })
            .finally(() => pending.delete(send));
          pending.add(send);
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(pending);
      if (failure !== undefined) throw failure;
    };
    const burst = before(burstEnd);
    await Promise.all([
      ...Array.from({ length: SINGLE_RECORD_SENDERS }, (_, i) => produceLoop(burst, one, 1, -1, PRODUCE_VERSIONS[i % PRODUCE_VERSIONS.length])),
      produceLoop(burst, hundred, 100, 1, 8),
      produceLoop(burst, hundred, 100, -1, 9),
      fetchLoop(burst),
    ]);
    await Promise.all([paced(before(deadline)), fetchLoop(before(deadline))]);
    return result;
  } finally {
    try {
      if (!signal?.aborted) await client.deleteTopics([WARM_UP_TOPIC], 10_000);
    } finally {
      clearTimeout(guard);
      signal?.removeEventListener('abort', onAbort);
      client.close();
    }
  }
}

/** warmUp, reporting instead of throwing: a warm-up that fails leaves the cluster as it is. */
export async function warmUpQuietly(target: WarmUpTarget, durationMs: number, warn: (msg: string) => void, signal?: AbortSignal): Promise<void> {
  const started = Date.now();
  try {
    const r = await warmUp(target, durationMs, signal);
    if (signal?.aborted) return;
    warn(`dms dev: warmed up in ${((Date.now() - started) / 1000).toFixed(1)} s (${r.produced} records produced, ${r.fetched} fetched; topic deleted)`);
  } catch (e) {
    if (signal?.aborted) return;
    warn(`dms dev: warm-up stopped early (${describeError(e)}); the cluster is up, its first requests may be slower`);
  }
}
