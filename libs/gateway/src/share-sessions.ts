import { ErrorCode } from '@dms/kafka-errors';
import type { SharePartitionRef } from '@dms/kafka-handlers';

export interface ShareSession {
  groupId: string;
  memberId: string;
  /** The epoch the next request must carry. */
  epoch: number;
  partitions: Map<string, SharePartitionRef>;
  lastUsedMs: number;
}

export const partitionKey = (p: SharePartitionRef) => `${p.topicId}:${p.partition}`;

/**
 * The share sessions of this gateway (Kafka's ShareSessionCache): per (group, member) the set of
 * partitions a share consumer fetches and the epoch its next request must carry. Epoch 0 opens
 * (or replaces) a session, each later request moves it on by one, -1 closes it. The gateway a
 * consumer is sent to holds its sessions, as the broker does in Kafka; a session idle longer than
 * `idleMs` is evicted (its member's records come back when their locks expire).
 */
export class ShareSessions {
  private readonly sessions = new Map<string, ShareSession>();

  constructor(private readonly opts: { maxSessions: number; idleMs: number; now?: () => number }) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /**
   * Checks and advances the session for a request at `epoch`. Returns the session (undefined for
   * -1: the caller closes it with `close`), the session a new one replaced, or the error.
   */
  advance(groupId: string, memberId: string, epoch: number): { session?: ShareSession; replaced?: ShareSession; errorCode: number; errorMessage: string | null } {
    this.evictIdle();
    const id = `${groupId}\0${memberId}`;
    const existing = this.sessions.get(id);
    if (epoch === 0) {
      if (!existing && this.sessions.size >= this.opts.maxSessions) {
        return { errorCode: ErrorCode.SHARE_SESSION_LIMIT_REACHED, errorMessage: 'The share session limit has been reached.' };
      }
      const session: ShareSession = { groupId, memberId, epoch: 1, partitions: new Map(), lastUsedMs: this.now() };
      this.sessions.set(id, session);
      return { session, ...(existing ? { replaced: existing } : {}), errorCode: ErrorCode.NONE, errorMessage: null };
    }
    if (!existing) return { errorCode: ErrorCode.SHARE_SESSION_NOT_FOUND, errorMessage: `No share session for member ${memberId} of ${groupId}.` };
    if (epoch === -1) return { session: existing, errorCode: ErrorCode.NONE, errorMessage: null };
    if (epoch !== existing.epoch) {
      return { errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH, errorMessage: `Share session epoch ${epoch} is not the expected ${existing.epoch}.` };
    }
    existing.epoch = existing.epoch === 0x7fffffff ? 1 : existing.epoch + 1;
    existing.lastUsedMs = this.now();
    return { session: existing, errorCode: ErrorCode.NONE, errorMessage: null };
  }

  close(groupId: string, memberId: string): ShareSession | undefined {
    const id = `${groupId}\0${memberId}`;
    const s = this.sessions.get(id);
    this.sessions.delete(id);
    return s;
  }

  get size(): number {
    return this.sessions.size;
  }

  private evictIdle(): void {
    const cutoff = this.now() - this.opts.idleMs;
    for (const [id, s] of this.sessions) if (s.lastUsedMs < cutoff) this.sessions.delete(id);
  }
}
