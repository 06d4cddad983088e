import { ErrorCode, errorName, KafkaError } from '@dms/kafka-client';

/** An API error answer: HTTP status plus a body naming the Kafka error where there is one. */
export interface ApiError {
  status: number;
  body: { error: string; errorCode?: number; errorName?: string };
}

const FORBIDDEN = new Set<number>([
  ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED,
]);
const NOT_FOUND = new Set<number>([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_ID, ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.RESOURCE_NOT_FOUND]);
const CONFLICT = new Set<number>([ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]);

/** Maps what a handler threw to an HTTP answer (one table, at the HTTP edge). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof KafkaError) {
    const name = errorName(err.code);
    let status = 400;
    if (err.code === ErrorCode.SASL_AUTHENTICATION_FAILED) status = 401;
    else if (FORBIDDEN.has(err.code)) status = 403;
    else if (NOT_FOUND.has(err.code)) status = 404;
    else if (CONFLICT.has(err.code)) status = 409;
    else if (err.code === ErrorCode.NETWORK_EXCEPTION || err.code === ErrorCode.REQUEST_TIMED_OUT) status = 502;
    return { status, body: { error: err.message === name ? name : `${name}: ${err.message}`, errorCode: err.code, errorName: name } };
  }
  if (err instanceof RangeError || err instanceof TypeError) return { status: 400, body: { error: err.message } };
  const e = err as { statusCode?: number; message?: string; code?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return { status: e.statusCode, body: { error: e.message ?? 'bad request' } };
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ETIMEDOUT') return { status: 502, body: { error: `cannot reach the cluster: ${e.message}` } };
  return { status: 500, body: { error: e?.message ?? String(err) } };
}

/** Throws a KafkaError when a per-resource result carries one. */
export function checkResult(r: { errorCode: number; errorMessage?: string | null }): void {
  if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? undefined);
}
