import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import type { InitProducerIdInput, InitProducerIdOutcome, TransactionPort } from '@dms/kafka-handlers';
import { ProducerIdSource } from '@dms/transactions';
import type { GatewayControllerPort } from './controller-port';

const ALLOCATE_TIMEOUT_MS = 5_000;

/**
 * Producer ids for idempotent producers, from blocks the controller leader allocates to this
 * gateway, and the transaction coordinator APIs.
 */
export class GatewayTransactionPort implements TransactionPort {
  private readonly producerIds: ProducerIdSource;

  constructor(controller: Pick<GatewayControllerPort, 'allocateProducerIds'>, nodeId: number) {
    this.producerIds = new ProducerIdSource({
      fetchBlock: async () => {
        const res = await controller.allocateProducerIds(nodeId, ALLOCATE_TIMEOUT_MS);
        if (res.errorCode !== ErrorCode.NONE) {
          // Retriable for the client: a controller election or an etcd hiccup passes.
          throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `no producer id block: ${res.errorMessage || res.errorCode}`);
        }
        return { start: res.producerIdStart, length: res.producerIdLen };
      },
    });
  }

  newProducerId(): Promise<bigint> {
    return this.producerIds.next();
  }

  async initProducerId(_input: InitProducerIdInput): Promise<InitProducerIdOutcome> {
    return {
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: 'The transaction coordinator is not available yet.',
      producerId: -1n,
      producerEpoch: -1,
    };
  }
}
