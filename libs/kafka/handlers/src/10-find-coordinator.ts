// FindCoordinator (10)
// Behavior: a group's coordinator is the gateway advertised as leader of the group's partition
//   of __consumer_offsets (same choice as Metadata, so node ids agree), at its address on the
//   listener the client came in on; the gateway forwards group
//   requests to the storage broker behind it. The first lookup creates __consumer_offsets and
//   answers COORDINATOR_NOT_AVAILABLE until its partitions have leaders, as Kafka does.
//   A transactional id (keyType 1) is placed the same way on __transaction_state.
// Version notes: v1+ keyType; v4+ batched coordinatorKeys with an answer per key; v6 adds the
//   share-coordinator key type 2 (KIP-932).
//   Needs DESCRIBE on the GROUP (keyType 0) or TRANSACTIONAL_ID (keyType 1), else
//   GROUP_AUTHORIZATION_FAILED / TRANSACTIONAL_ID_AUTHORIZATION_FAILED for that key, as Kafka.
// Not implemented: share coordinators: keyType 2 answers INVALID_REQUEST, as Kafka does while
//   share groups are not enabled.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { CoordinatorAnswer, RequestContext } from './ports';

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;
const SHARE_KEY = 2;

async function lookup(ctx: RequestContext, key: string, keyType: number): Promise<CoordinatorAnswer> {
  const none = { key, nodeId: -1, host: '', port: -1 };
  if (keyType === GROUP_KEY && !authorized(ctx, Operation.DESCRIBE, Resource.GROUP, key)) {
    return { ...none, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null };
  }
  if (keyType === TRANSACTION_KEY && !authorized(ctx, Operation.DESCRIBE, Resource.TRANSACTIONAL_ID, key)) {
    return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: null };
  }
  if (keyType === TRANSACTION_KEY) {
    if (!key) return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The transactional id is empty.' };
    if (!ctx.transactions) return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The transaction coordinator is not available.' };
    return ctx.transactions.findCoordinator(key, ctx.session?.listenerName);
  }
  if (keyType === SHARE_KEY) return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Share groups are not enabled.' };
  if (keyType !== GROUP_KEY) return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown key type ${keyType}.` };
  if (!key) return { ...none, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'The group id is empty.' };
  return ctx.groups.findCoordinator(key, ctx.session?.listenerName);
}

export const findCoordinatorHandler: KafkaHandler = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  acl: ['GROUP:DESCRIBE', 'TRANSACTIONAL_ID:DESCRIBE'],
  async handle(ctx, req: any, version) {
    const keyType: number = req.keyType ?? GROUP_KEY;
    if (version >= 4) {
      const coordinators = await Promise.all((req.coordinatorKeys as string[]).map((k) => lookup(ctx, k, keyType)));
      return { throttleTimeMs: 0, coordinators };
    }
    const a = await lookup(ctx, req.key, keyType);
    return { throttleTimeMs: 0, errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId, host: a.host, port: a.port };
  },
};
