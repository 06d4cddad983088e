import { ErrorCode, retriableErrorCodes } from './generated/error-codes';

export { ErrorCode, retriableErrorCodes };
export type { ErrorCodeName } from './generated/error-codes';

const names = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));
const retriable = new Set<number>(retriableErrorCodes);

/** Kafka's name for a code, e.g. 3 -> 'UNKNOWN_TOPIC_OR_PARTITION'; unknown codes read 'UNKNOWN_<code>'. */
export function errorName(code: number): string {
  return names.get(code) ?? `UNKNOWN_${code}`;
}

export function isRetriable(code: number): boolean {
  return retriable.has(code);
}

/** An error that maps to one Kafka error code at the protocol edge. */
export class KafkaError extends Error {
  override readonly name = 'KafkaError';

  constructor(readonly code: number, message?: string) {
    super(message ?? errorName(code));
  }

  get retriable(): boolean {
    return isRetriable(this.code);
  }
}
