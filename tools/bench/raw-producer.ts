import * as net from 'node:net';
import { ApiKey, decodeResponse, encodeRequest } from '@dms/kafka-codec';
import { ErrorCode, FrameReader, KafkaError, type KafkaClient } from '@dms/kafka-client';

/** Produce v8: magic-2 batches, record errors, no flexible encoding (the header is fixed-size). */
const PRODUCE_VERSION = 8;
/** size(4) apiKey(2) apiVersion(2) correlationId(4): the bytes of a request frame that change per send. */
const HEAD = 12;
const TIMEOUT_SWEEP_MS = 1000;

interface Pending {
  resolve(): void;
  reject(err: Error): void;
  sentAt: number;
}

/** One connection to one leader: pipelined requests, writes of one event-loop turn go out together. */
class LeaderLink {
  private readonly pending = new Map<number, Pending>();
  private readonly reader = new FrameReader(64 * 1024 * 1024);
  private nextCorrelation = 1;
  private corked = false;
  private failure: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(host: string, port: number): Promise<LeaderLink> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new LeaderLink(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends a pre-encoded request frame: a fresh 12-byte head, then the shared rest of the frame (not copied). */
  send(frame: Buffer, expectAnswer: boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = this.nextCorrelation++ & 0x7fffffff;
    const head = Buffer.allocUnsafe(HEAD);
    frame.copy(head, 0, 0, 8);
    head.writeInt32BE(correlationId, 8);
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(head);
    this.socket.write(frame.subarray(HEAD));
    if (!expectAnswer) return Promise.resolve();
    return new Promise((resolve, reject) => this.pending.set(correlationId, { resolve, reject, sentAt: performance.now() }));
  }

  /** Fails requests older than `timeoutMs` (one sweep for all, no timer per request). */
  sweep(timeoutMs: number): void {
    const cutoff = performance.now() - timeoutMs;
    for (const [id, p] of this.pending) {
      if (p.sentAt > cutoff) break;
      this.pending.delete(id);
      p.reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'no answer in time'));
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      return this.fail(err as Error);
    }
    for (const f of frames) {
      const id = f.readInt32BE(0);
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      try {
        const { body } = decodeResponse(ApiKey.Produce, PRODUCE_VERSION, f);
        const code = body.responses[0]?.partitionResponses[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (code === ErrorCode.NONE) p.resolve();
        else p.reject(new KafkaError(code));
      } catch (err) {
        p.reject(err as Error);
      }
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.socket.destroy();
  }
}

/**
 * A lean produce path for the open loop at high request rates: one connection per partition
 * leader (from the client's metadata), each request frame encoded once per (partition, batch) and
 * resent with a new correlation id, the writes of one event-loop turn corked into one writev,
 * answers matched by correlation id and checked for the partition's error code, one timeout
 * sweep instead of a timer per request. No retries and no leader refresh: a benchmark counts
 * errors, it does not hide them. The batch must not change between sends (no timestamp stamping).
 */
export class RawProducer {
  private readonly frames = new Map<Buffer, Buffer[]>();
  private readonly sweeper: NodeJS.Timeout;

  private constructor(private readonly links: LeaderLink[], private readonly byPartition: LeaderLink[],
    private readonly topic: string, private readonly acks: number, private readonly timeoutMs: number) {
    this.sweeper = setInterval(() => { for (const l of links) l.sweep(timeoutMs + 5_000); }, TIMEOUT_SWEEP_MS);
    this.sweeper.unref();
  }

  static async open(client: KafkaClient, topic: string, partitions: number, acks: number, timeoutMs = 30_000): Promise<RawProducer> {
    const md = await client.metadata([topic]);
    const t = md.topics.find((x) => x.name === topic);
    if (!t || t.errorCode !== ErrorCode.NONE) throw new KafkaError(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no metadata for ${topic}`);
    const links = new Map<number, Promise<LeaderLink>>();
    const byPartition: Promise<LeaderLink>[] = [];
    for (let p = 0; p < partitions; p++) {
      const leader = t.partitions.find((x) => x.partition === p)?.leader ?? -1;
      const broker = md.brokers.find((b) => b.nodeId === leader);
      if (!broker) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `no leader for ${topic}-${p}`);
      if (!links.has(leader)) links.set(leader, LeaderLink.open(broker.host, broker.port));
      byPartition.push(links.get(leader)!);
    }
    return new RawProducer(await Promise.all(links.values()), await Promise.all(byPartition), topic, acks, timeoutMs);
  }

  /**
   * Produces `batch` to `partition`; resolves on the answer (acks 0: once written). With `reused`
   * the batch never changes and its frame is encoded once and kept (per batch and partition).
   */
  produce(partition: number, batch: Buffer, reused: boolean): Promise<void> {
    let frame: Buffer | undefined;
    let perPartition: Buffer[] | undefined;
    if (reused) {
      perPartition = this.frames.get(batch);
      if (!perPartition) this.frames.set(batch, (perPartition = []));
      frame = perPartition[partition];
    }
    if (!frame) {
      frame = encodeRequest({ requestApiKey: ApiKey.Produce, requestApiVersion: PRODUCE_VERSION, correlationId: 0, clientId: 'dms-bench' },
        { transactionalId: null, acks: this.acks, timeoutMs: this.timeoutMs, topicData: [{ name: this.topic, partitionData: [{ index: partition, records: batch }] }] });
      if (perPartition) perPartition[partition] = frame;
    }
    return this.byPartition[partition].send(frame, this.acks !== 0);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const l of this.links) l.close();
  }
}
