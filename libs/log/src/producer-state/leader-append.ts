import { ATTR_CONTROL, ATTR_TRANSACTIONAL, buildRecordBatch, endTxnMarker } from '@dms/kafka-codec';
import type { BatchInfo } from '../batch-scan';
import { LogError } from '../log-error';
import { type ProducerBatchFields, producerFieldsAt } from './batch-producer-fields';
import type { BatchMetadata } from './producer-entry';
import type { AppendOrigin, ProducerStateManager } from './producer-state-manager';

/** What the leader's producer checks decided for one append. */
export interface ProducerAppendPlan {
  /** The append repeats this cached batch: write nothing, answer its offsets. */
  duplicate?: BatchMetadata;
  /** Records batch i (offsets assigned) in producer state; undefined when no batch has a producer id. */
  apply?: (index: number) => void;
}

/**
 * The leader's producer checks of an append (Kafka's analyzeAndValidateProducerState): refuses
 * control batches from clients, finds a duplicate or refuses a batch (LogError), and otherwise
 * returns how to record each batch once its offsets are assigned. Plain batches cost one read.
 */
export function planProducerAppend(
  state: ProducerStateManager,
  batches: Buffer,
  infos: readonly BatchInfo[],
  origin: Exclude<AppendOrigin, 'replication'>,
): ProducerAppendPlan {
  let fields: (ProducerBatchFields | undefined)[] | undefined;
  for (let i = 0; i < infos.length; i++) {
    const info = infos[i]!;
    if ((info.attributes & ATTR_CONTROL) !== 0) throw new LogError('invalid-record', 'clients cannot write control batches');
    const f = producerFieldsAt(batches, info.position);
    if (f) (fields ??= new Array(infos.length))[i] = f;
    else if ((info.attributes & ATTR_TRANSACTIONAL) !== 0) throw new LogError('invalid-record', 'a transactional batch needs a producer id');
  }
  if (!fields) return {};
  const all = fields;
  const duplicate = state.checkAppend(all.filter((f): f is ProducerBatchFields => f !== undefined), origin);
  if (duplicate) return { duplicate };
  return {
    apply: (i) => {
      const f = all[i];
      if (!f) return;
      const info = infos[i]!;
      f.baseOffset = info.baseOffset;
      f.lastOffset = info.lastOffset;
      f.maxTimestamp = info.maxTimestamp;
      state.apply(f, origin);
    },
  };
}

/**
 * An end-transaction marker as Kafka writes it: a control + transactional batch of the producer's
 * id and epoch (no sequence) holding one COMMIT/ABORT record with the coordinator epoch.
 */
export function buildMarkerBatch(m: { producerId: bigint; producerEpoch: number; committed: boolean; coordinatorEpoch: number }, timestamp: bigint): Promise<Buffer> {
  return buildRecordBatch({
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
    records: [{ ...endTxnMarker(m.committed ? 'commit' : 'abort', m.coordinatorEpoch), timestamp }],
  });
}
