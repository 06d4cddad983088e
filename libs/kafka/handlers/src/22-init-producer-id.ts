// InitProducerId (22)
// Behavior: without a transactional id (an idempotent producer) the gateway answers at once
//   with a fresh producer id and epoch 0, taken from a block of ids the controller leader
//   allocated to this gateway (so no two gateways or brokers ever hand out the same id; ids of
//   a block lost on restart are skipped); a given producer id/epoch is ignored then, as Kafka
//   does. With a transactional id the request goes to the transaction coordinator of the id
//   (the storage broker leading its partition of __transaction_state). No block available
//   (no controller leader) answers COORDINATOR_LOAD_IN_PROGRESS, which clients retry.
//   An empty transactional id, or a producer id given without its epoch (or the reverse),
//   is INVALID_REQUEST.
//   Needs WRITE on the TRANSACTIONAL_ID (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an
//   idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on any topic (else
//   CLUSTER_AUTHORIZATION_FAILED), as Kafka.
// Version notes: v0-v5; v2+ flexible; v3+ producer id/epoch for KIP-360 recovery; v4+ clients
//   may receive PRODUCER_FENCED (v0-v3 get INVALID_PRODUCER_EPOCH instead).
// Not implemented: v6 (two-phase commit, KIP-939) is outside the advertised versions.
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { authorized, authorizedForAny, clusterAuthorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import { fencedForVersion } from './txn-errors';

const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;

const answer = (errorCode: number, producerId = NO_PRODUCER_ID, producerEpoch = NO_PRODUCER_EPOCH) => ({
  throttleTimeMs: 0,
  errorCode,
  producerId,
  producerEpoch,
});

export const initProducerIdHandler: KafkaHandler = {
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  acl: ['TRANSACTIONAL_ID:WRITE', 'TOPIC:WRITE', 'CLUSTER:IDEMPOTENT_WRITE'],
  async handle(ctx, req: any, version) {
    const transactionalId: string | null = req.transactionalId ?? null;
    const producerId: bigint = version >= 3 ? BigInt(req.producerId ?? NO_PRODUCER_ID) : NO_PRODUCER_ID;
    const producerEpoch: number = version >= 3 ? (req.producerEpoch ?? NO_PRODUCER_EPOCH) : NO_PRODUCER_EPOCH;
    if (transactionalId !== null) {
      if (!authorized(ctx, Operation.WRITE, Resource.TRANSACTIONAL_ID, transactionalId)) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    } else if (!clusterAuthorized(ctx, Operation.IDEMPOTENT_WRITE) && !authorizedForAny(ctx, Operation.WRITE, Resource.TOPIC)) {
      return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    if ((producerId === NO_PRODUCER_ID) !== (producerEpoch === NO_PRODUCER_EPOCH)) return answer(ErrorCode.INVALID_REQUEST);
    if (transactionalId === '') return answer(ErrorCode.INVALID_REQUEST);
    const port = ctx.transactions;
    if (!port) return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (transactionalId === null) {
      try {
        return answer(ErrorCode.NONE, await port.newProducerId(), 0);
      } catch (e) {
        return answer(e instanceof KafkaError ? e.code : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      }
    }
    const out = await port.initProducerId({ transactionalId, transactionTimeoutMs: req.transactionTimeoutMs ?? 0, producerId, producerEpoch });
    return answer(fencedForVersion(out.errorCode, version, 4), out.producerId, out.producerEpoch);
  },
};
