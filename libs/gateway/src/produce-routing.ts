import { BATCH, BATCH_HEADER_SIZE } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import type { ClusterPort, ProducePartitionInput, ProducePartitionOutcome } from '@dms/kafka-handlers';
import { traceContextOf } from '@dms/rpc';
import type { BrokerClient, BrokerClients } from './broker-clients';
import { RETRY_PAUSE_MS, RETRY_SAFE, sleep } from './leader-retry';

/** Upper bound on how long a produce waits for a leader to appear, within the client's timeout. */
const MAX_LEADER_WAIT_MS = 15_000;

const samePartition = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) => a.partition === b.partition && a.topic === b.topic;

/** The leader's answer to a produce: what BrokerClient's produce channel resolves with. */
type ProduceAnswer = Awaited<ReturnType<BrokerClient['produceChannel']['request']>>;

/** `results` with a position the leaders never answered marked UNKNOWN_SERVER_ERROR. */
function completed(parts: ProducePartitionInput[], results: (ProducePartitionOutcome | undefined)[]): ProducePartitionOutcome[] {
  for (let i = 0; i < parts.length; i++) results[i] ??= failedProduce(parts[i]!, ErrorCode.UNKNOWN_SERVER_ERROR);
  return results as ProducePartitionOutcome[];
}

/**
 * Batches of an idempotent (or transactional) producer: the new leader's producer state
 * recognises a resend of what the old leader appended and answers it with the original offsets.
 */
function isIdempotent(records: Buffer): boolean {
  return records.length >= BATCH_HEADER_SIZE && records.readBigInt64BE(BATCH.producerId) >= 0n;
}

function failedProduce(p: { topic: string; partition: number }, errorCode: number): ProducePartitionOutcome {
  return { topic: p.topic, partition: p.partition, errorCode, errorMessage: null, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n };
}

/**
 * Produce through the gateway: each partition's batches go to the storage broker that leads it,
 * and when leadership is missing or moving the gateway resends them there itself (within the
 * request's timeout), so clients never chase storage leaders.
 */
export class ProduceRouting {
  constructor(
    private readonly cluster: ClusterPort,
    private readonly brokers: BrokerClients,
  ) {}

  produce(acks: number, timeoutMs: number, parts: ProducePartitionInput[]): Promise<ProducePartitionOutcome[]> {
    const deadline = Date.now() + Math.min(Math.max(timeoutMs, 1_000), MAX_LEADER_WAIT_MS);
    // The common case (one partition, or all led by one live broker): one request, answered in
    // its promise's callback, without the rounds' async frames, groups and position lists.
    const client = this.soleLeader(parts);
    if (!client) return this.produceRounds(acks, timeoutMs, parts, deadline, new Array(parts.length));
    return this.send(client, parts, acks, timeoutMs).then(
      (res) => {
        const results: (ProducePartitionOutcome | undefined)[] = new Array(parts.length);
        const retry = this.applyAnswer(res, parts, undefined, results, undefined);
        return retry ? this.produceRounds(acks, timeoutMs, parts, deadline, results, retry) : completed(parts, results);
      },
      // The broker may or may not have appended: let the client decide whether to resend.
      () => parts.map((p) => failedProduce(p, ErrorCode.NOT_LEADER_OR_FOLLOWER)),
    );
  }

  /** The client of the one live broker leading every partition of `parts`, if there is one. */
  private soleLeader(parts: ProducePartitionInput[]): BrokerClient | undefined {
    let leader = -1;
    for (const p of parts) {
      const l = this.cluster.topic(p.topic)?.partitions[p.partition]?.storageLeader ?? -1;
      if (l < 0 || (leader >= 0 && l !== leader)) return undefined;
      leader = l;
    }
    return leader >= 0 && this.brokers.isLive(leader) ? this.brokers.get(leader) : undefined;
  }

  /**
   * Sends the positions still without an outcome to their leaders, round after round, while a
   * leader is missing or moving and the deadline allows (`pending`: the positions a previous round
   * left to resend; undefined before the first round: every position).
   */
  private async produceRounds(
    acks: number,
    timeoutMs: number,
    parts: ProducePartitionInput[],
    deadline: number,
    results: (ProducePartitionOutcome | undefined)[],
    pending?: number[],
  ): Promise<ProducePartitionOutcome[]> {
    for (;;) {
      if (pending) {
        if (Date.now() + RETRY_PAUSE_MS > deadline) {
          for (const i of pending) results[i] = failedProduce(parts[i]!, ErrorCode.NOT_LEADER_OR_FOLLOWER);
          break;
        }
        await sleep(RETRY_PAUSE_MS);
      }
      const retry: number[] = [];
      const groups = this.byLeader(parts, pending, retry);
      if (groups.size === 1) {
        const [[brokerId, group]] = groups;
        await this.produceOn(brokerId, group, parts, acks, timeoutMs, results, retry);
      } else if (groups.size > 1) {
        await Promise.all([...groups].map(([brokerId, group]) => this.produceOn(brokerId, group, parts, acks, timeoutMs, results, retry)));
      }
      if (retry.length === 0) break;
      pending = retry;
    }
    return completed(parts, results);
  }

  /** Positions of `parts` (all, or those in `only`) by the live broker leading them; the others go to `orphans`. */
  private byLeader(parts: ProducePartitionInput[], only: number[] | undefined, orphans: number[]): Map<number, number[]> {
    const groups = new Map<number, number[]>();
    const n = only ? only.length : parts.length;
    for (let k = 0; k < n; k++) {
      const i = only ? only[k]! : k;
      const p = parts[i]!;
      const leader = this.cluster.topic(p.topic)?.partitions[p.partition]?.storageLeader ?? -1;
      if (leader < 0 || !this.brokers.isLive(leader)) orphans.push(i);
      else {
        const g = groups.get(leader);
        if (g) g.push(i);
        else groups.set(leader, [i]);
      }
    }
    return groups;
  }

  /**
   * Sends the partitions at `group` (positions in `parts`) to one leader. Its answers fill
   * `results`, except those the gateway may resend to a new leader itself, which go to `retry`.
   */
  private async produceOn(
    brokerId: number,
    group: number[],
    parts: ProducePartitionInput[],
    acks: number,
    timeoutMs: number,
    results: (ProducePartitionOutcome | undefined)[],
    retry: number[],
  ): Promise<void> {
    const client = this.brokers.get(brokerId);
    if (!client) {
      for (const i of group) retry.push(i);
      return;
    }
    const inputs = group.length === parts.length ? parts : group.map((i) => parts[i]!);
    let res;
    try {
      res = await this.send(client, inputs, acks, timeoutMs);
    } catch {
      // The broker may or may not have appended: let the client decide whether to resend.
      for (const i of group) results[i] = failedProduce(parts[i]!, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      return;
    }
    this.applyAnswer(res, inputs, group, results, retry);
  }

  private send(client: BrokerClient, inputs: ProducePartitionInput[], acks: number, timeoutMs: number): Promise<ProduceAnswer> {
    return client.produceChannel.request({ acks, timeoutMs, partitions: inputs, traceContext: traceContextOf() }, { timeoutMs: timeoutMs + 5_000 });
  }

  /**
   * Fills `results` (at `group[k]` for `inputs[k]`, or at k without a group) from a leader's
   * answer, except the partitions the gateway may resend to a new leader itself: their positions
   * go to `retry` (created when none is given). Returns `retry` when it holds any.
   */
  private applyAnswer(
    res: ProduceAnswer,
    inputs: ProducePartitionInput[],
    group: number[] | undefined,
    results: (ProducePartitionOutcome | undefined)[],
    retry: number[] | undefined,
  ): number[] | undefined {
    for (let k = 0; k < res.partitions.length; k++) {
      const r = res.partitions[k]!;
      // The leader answers in the order it was asked; looked up when it does not.
      const at = k < inputs.length && samePartition(inputs[k]!, r) ? k : inputs.findIndex((g) => samePartition(g, r));
      if (at < 0) continue;
      const i = group ? group[at]! : at;
      if (RETRY_SAFE.has(r.errorCode) && (!r.appended || isIdempotent(inputs[at]!.records))) (retry ??= []).push(i);
      else {
        results[i] = {
          topic: r.topic, partition: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage || null,
          baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs, logStartOffset: r.logStartOffset, recordErrors: r.recordErrors,
        };
      }
    }
    return retry && retry.length > 0 ? retry : undefined;
  }
}
