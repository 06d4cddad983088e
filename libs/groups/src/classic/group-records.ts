import type { CoordinatorRecord } from '@dms/coordinator';
import { encodeGroupMetadataKey, encodeGroupMetadataValue } from '../records';
import type { Group } from './group';

/** The GroupMetadata record of a classic group as it stands now. */
export function groupMetadataRecord(group: Group): CoordinatorRecord {
  const value = encodeGroupMetadataValue({
    protocolType: group.protocolType ?? '',
    generation: group.generationId,
    protocol: group.protocolName,
    leader: group.leaderId,
    currentStateTimestamp: group.currentStateTimestamp,
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      subscription: m.metadataFor(group.protocolName),
      assignment: m.assignment,
    })),
  });
  return { key: encodeGroupMetadataKey(group.groupId), value };
}
