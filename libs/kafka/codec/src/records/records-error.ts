/**
 * Why a batch could not be read or written. The subsystem keeps its own small vocabulary;
 * the Kafka edge maps it to a wire error code with `kafkaErrorCodeFor`.
 */
export type RecordsErrorReason =
  | 'truncated'
  | 'corrupt'
  | 'bad-crc'
  | 'bad-magic'
  | 'unsupported-compression'
  | 'too-large'
  | 'invalid-record';

const KAFKA_CODES: Record<RecordsErrorReason, number> = {
  truncated: 2, // CORRUPT_MESSAGE
  corrupt: 2, // CORRUPT_MESSAGE
  'bad-crc': 2, // CORRUPT_MESSAGE
  'bad-magic': 43, // UNSUPPORTED_FOR_MESSAGE_FORMAT
  'unsupported-compression': 76, // UNSUPPORTED_COMPRESSION_TYPE
  'too-large': 10, // MESSAGE_TOO_LARGE
  'invalid-record': 87, // INVALID_RECORD
};

export class RecordsError extends Error {
  override readonly name = 'RecordsError';
  constructor(
    readonly reason: RecordsErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get kafkaErrorCode(): number {
    return KAFKA_CODES[this.reason];
  }
}

export function kafkaErrorCodeFor(reason: RecordsErrorReason): number {
  return KAFKA_CODES[reason];
}
