import { ErrorCode } from '@dms/kafka-errors';

/**
 * KIP-588: PRODUCER_FENCED reaches clients only on the versions that know it (InitProducerId
 * v4+, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn v2+); older ones get INVALID_PRODUCER_EPOCH.
 */
export function fencedForVersion(errorCode: number, version: number, firstVersionWithFenced: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < firstVersionWithFenced ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}
