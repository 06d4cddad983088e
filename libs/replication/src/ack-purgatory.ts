/** Per-partition error codes the purgatory completes with (Kafka's numbers). */
export const ACK_OK = 0;
export const ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20;
export const ACK_REQUEST_TIMED_OUT = 7;
export const ACK_NOT_LEADER = 6;

interface Waiter {
  requiredOffset: bigint;
  /** Whether the ISR size must reach min.insync.replicas (acks=all) or only the HW (see ReplicaLeader). */
  checkMinIsr: boolean;
  done: (errorCode: number) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Appends waiting for replication, ordered by the offset the high watermark must reach
 * (appends take offsets in order, so the list stays sorted and completion pops from the head).
 * Completion rules (Kafka's acks=all): once the high watermark reaches the batch, the ISR must
 * still hold at least min.insync.replicas, else NOT_ENOUGH_REPLICAS_AFTER_APPEND; the request
 * timeout gives REQUEST_TIMED_OUT; losing leadership gives NOT_LEADER_OR_FOLLOWER.
 */
export class AckPurgatory {
  private waiters: Waiter[] = [];

  get size(): number {
    return this.waiters.length;
  }

  /** Resolves with an error code once `requiredOffset` (last offset + 1) is replicated or not. */
  wait(requiredOffset: bigint, timeoutMs: number, checkMinIsr = true): Promise<number> {
    return new Promise((resolve) => {
      const w: Waiter = { requiredOffset, checkMinIsr, done: resolve, timer: undefined };
      w.timer = setTimeout(() => this.finish(w, ACK_REQUEST_TIMED_OUT), Math.max(0, timeoutMs));
      // Concurrent appends can resolve their writes out of order: keep the list sorted.
      let i = this.waiters.length;
      while (i > 0 && this.waiters[i - 1]!.requiredOffset > requiredOffset) i--;
      this.waiters.splice(i, 0, w);
    });
  }

  /** Completes every waiter the high watermark has passed, judging the ISR size now. */
  onProgress(highWatermark: bigint, isrSize: number, minInsyncReplicas: number): void {
    while (this.waiters.length > 0 && this.waiters[0]!.requiredOffset <= highWatermark) {
      const w = this.waiters[0]!;
      this.finish(w, w.checkMinIsr && isrSize < minInsyncReplicas ? ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND : ACK_OK);
    }
  }

  /** The ISR fell below min.insync.replicas: acks=all waiters cannot succeed as Kafka defines it. */
  onIsrBelowMin(): void {
    for (const w of [...this.waiters]) if (w.checkMinIsr) this.finish(w, ACK_NOT_ENOUGH_REPLICAS_AFTER_APPEND);
  }

  /** Leadership moved: nobody here will ever replicate these. */
  failAll(errorCode: number = ACK_NOT_LEADER): void {
    for (const w of [...this.waiters]) this.finish(w, errorCode);
  }

  private finish(w: Waiter, code: number): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    if (w.timer) clearTimeout(w.timer);
    w.done(code);
  }
}
