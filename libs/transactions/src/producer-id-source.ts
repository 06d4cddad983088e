import { ErrorCode, KafkaError } from '@dms/kafka-errors';

export interface ProducerIdBlock {
  start: bigint;
  length: number;
}

export interface ProducerIdSourceOptions {
  /** Asks the controller leader for a new block; rejects (e.g. KafkaError) when none is available. */
  fetchBlock: () => Promise<ProducerIdBlock>;
  /** Share of a block used before the next one is fetched in the background (Kafka: 0.9). */
  prefetchRatio?: number;
}

/**
 * Producer ids from controller-allocated blocks (Kafka's RPCProducerIdManager): ids are taken
 * in order from the current block; the next block is fetched ahead when the current one is
 * mostly used, and on demand when it is used up. A block held when the process stops is simply
 * never used again, so a restarted gateway or broker never reuses an id.
 */
export class ProducerIdSource {
  private current: { next: bigint; end: bigint; length: number } | undefined;
  private pending: ProducerIdBlock | undefined;
  private inflight: Promise<void> | undefined;
  private lastError: unknown;

  constructor(private readonly opts: ProducerIdSourceOptions) {}

  /** The next unused producer id; fetches a block when none is held. Throws KafkaError when no block could be had. */
  async next(): Promise<bigint> {
    // Concurrent callers may drain a fresh block before this one gets to it: wait for another,
    // as long as blocks keep coming.
    for (;;) {
      const id = this.take();
      if (id !== undefined) return id;
      await this.fetch();
      if (this.lastError !== undefined && !this.pending) {
        const e = this.lastError;
        if (e instanceof KafkaError) throw e;
        throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `No producer id block available: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private take(): bigint | undefined {
    if ((!this.current || this.current.next >= this.current.end) && this.pending) {
      this.current = { next: this.pending.start, end: this.pending.start + BigInt(this.pending.length), length: this.pending.length };
      this.pending = undefined;
    }
    const c = this.current;
    if (!c || c.next >= c.end) return undefined;
    const id = c.next++;
    const used = Number(c.next - (c.end - BigInt(c.length)));
    if (!this.pending && used >= c.length * (this.opts.prefetchRatio ?? 0.9)) void this.fetch();
    return id;
  }

  /** One fetch at a time; its block waits in `pending` until the current block is used up. */
  private fetch(): Promise<void> {
    if (this.inflight) return this.inflight;
    if (this.pending) return Promise.resolve();
    this.inflight = this.opts.fetchBlock().then(
      (block) => {
        if (block.length <= 0) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'The controller returned an empty producer id block.');
        this.pending = block;
        this.lastError = undefined;
      },
    ).catch((e: unknown) => {
      this.lastError = e;
    }).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }
}
