import type { SubscribedTopic } from './share-assignor';

export type ShareGroupState = 'Empty' | 'Stable' | 'Dead';

export interface ShareMember {
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** topicId → partitions, as last sent to the member. */
  assignment: Map<string, number[]>;
  cancelSession?: () => void;
}

/**
 * One share group (KIP-932) as its coordinator holds it: members with epochs, the group epoch
 * (bumped by every change of membership, subscriptions or subscribed topics' partitions) and the
 * target assignment computed at that epoch. Membership lives in memory: members of a group whose
 * coordinator moved rejoin with epoch 0.
 */
export class ShareGroup {
  readonly members = new Map<string, ShareMember>();
  groupEpoch = 0;
  assignmentEpoch = 0;
  /** memberId → topicId → partitions at `assignmentEpoch`. */
  target = new Map<string, Map<string, number[]>>();
  /** The subscribed topics as resolved at `assignmentEpoch`, by name. */
  topics = new Map<string, SubscribedTopic>();
  /** The resolution of `topics` as a comparable string (Kafka's metadata hash). */
  metadataHash = '';
  dead = false;

  constructor(readonly groupId: string, readonly createdAtMs: number) {}

  get state(): ShareGroupState {
    if (this.dead) return 'Dead';
    return this.members.size === 0 ? 'Empty' : 'Stable';
  }

  subscribedTopicNames(): Set<string> {
    const names = new Set<string>();
    for (const m of this.members.values()) for (const n of m.subscribedTopicNames) names.add(n);
    return names;
  }

  topicName(topicId: string): string | undefined {
    for (const t of this.topics.values()) if (t.topicId === topicId) return t.name;
    return undefined;
  }
}
