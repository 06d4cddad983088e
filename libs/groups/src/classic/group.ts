import { PendingTxnOffsets } from '../txn-offsets';
import type { GroupProtocol, GroupState, JoinGroupResult, SyncGroupResult } from '../types';

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** Where the commit's record sits in __consumer_offsets (-1: not known); the later one wins. */
  logOffset?: bigint;
}

export class Member {
  assignment: Buffer = Buffer.alloc(0);
  joinWaiter: ((r: JoinGroupResult) => void) | undefined;
  syncWaiter: ((r: SyncGroupResult) => void) | undefined;
  /** Cancels the session timer (a shard timer: the runtime cancels it on unload too). */
  cancelHeartbeat: (() => void) | undefined;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public sessionTimeoutMs: number,
    public rebalanceTimeoutMs: number,
    public protocolType: string,
    public protocols: GroupProtocol[],
  ) {}

  metadataFor(protocol: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0);
  }

  /** Same protocols with the same metadata, in the same order: a rejoin that changes nothing. */
  sameProtocols(protocols: GroupProtocol[]): boolean {
    return protocols.length === this.protocols.length
      && protocols.every((p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata));
  }
}

const offsetKey = (topic: string, partition: number) => `${topic}\0${partition}`;

/** Kafka's ClassicGroupState: the states a group may enter each state from. */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export class IllegalGroupTransitionError extends Error {}

/** One classic consumer group: membership, generation, and committed offsets. */
export class Group {
  private current: GroupState = 'Empty';
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet, with their expiry's cancel. */
  readonly pendingMembers = new Map<string, () => void>();
  /** group.instance.id -> member id. */
  readonly staticMembers = new Map<string, string>();
  readonly offsets = new Map<string, CommittedOffset & { topic: string; partition: number }>();
  /** Transactional commits (TxnOffsetCommit) whose transaction has not ended yet. */
  pendingTxnOffsets = new PendingTxnOffsets();
  currentStateTimestamp: bigint;
  /** Cancels the rebalance (or initial delay) timer. */
  cancelRebalanceTimer: (() => void) | undefined;
  /** While the initial rebalance delay runs; join completion waits for it. */
  initialDelay: { remainingMs: number } | undefined;
  newMemberAdded = false;

  constructor(
    readonly groupId: string,
    readonly partition: number,
    now: bigint,
    initial: 'Empty' | 'Stable' = 'Empty',
  ) {
    this.currentStateTimestamp = now;
    this.current = initial;
  }

  get state(): GroupState {
    return this.current;
  }

  /** Moves to `state`, as Kafka allows it from the current one; throws on any other move. */
  transitionTo(state: GroupState, now: bigint): void {
    if (!VALID_PREVIOUS[state].includes(this.current)) {
      throw new IllegalGroupTransitionError(`group ${this.groupId} cannot go from ${this.current} to ${state}`);
    }
    this.current = state;
    this.currentStateTimestamp = now;
  }

  /**
   * Undoes a transition to Dead whose records could not be written (the group stays as it was);
   * the state timestamp is left alone, as the transition never happened.
   */
  revertDeath(previous: GroupState): void {
    if (this.current !== 'Dead') throw new IllegalGroupTransitionError(`group ${this.groupId} is ${this.current}, not Dead`);
    this.current = previous;
  }

  /** Marks the group Dead without touching its state timestamp (unloaded or deleted). */
  markDead(): void {
    this.current = 'Dead';
  }

  getOffset(topic: string, partition: number) {
    return this.offsets.get(offsetKey(topic, partition));
  }

  setOffset(topic: string, partition: number, o: CommittedOffset): void {
    this.offsets.set(offsetKey(topic, partition), { ...o, topic, partition });
  }

  deleteOffset(topic: string, partition: number): void {
    this.offsets.delete(offsetKey(topic, partition));
  }

  /**
   * The producer's transaction ended with a marker at `markerOffset`: its pending offsets become
   * the committed ones (unless a later plain commit of the same partition is already there), or
   * are dropped on abort. Answers whether anything was pending.
   */
  completeTxn(producerId: bigint, committed: boolean, markerOffset: bigint): boolean {
    const done = this.pendingTxnOffsets.take(producerId, markerOffset);
    if (!committed) return done.length > 0;
    for (const { topic, partition, ...o } of done) {
      const current = this.getOffset(topic, partition);
      if (!current || (current.logOffset ?? -1n) < o.logOffset) this.setOffset(topic, partition, o);
    }
    return done.length > 0;
  }

  allJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.joinWaiter) return false;
    return true;
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Protocol names every member supports. */
  candidateProtocols(): string[] {
    let candidates: string[] | undefined;
    for (const m of this.members.values()) {
      const names = m.protocols.map((p) => p.name);
      candidates = candidates ? candidates.filter((c) => names.includes(c)) : names;
    }
    return candidates ?? [];
  }

  /** Would a member with these protocols fit the group (Kafka's supportsProtocols)? */
  supportsProtocols(protocolType: string, protocols: GroupProtocol[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.includes(p.name));
  }

  /** Each member votes for its most preferred candidate; the most voted wins (Kafka's selectProtocol). */
  selectProtocol(): string | null {
    const candidates = this.candidateProtocols();
    if (candidates.length === 0) return null;
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.includes(p.name));
      if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best = candidates[0];
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  isEmpty(): boolean {
    return this.members.size === 0;
  }
}
