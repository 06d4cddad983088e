import { LONG_MAX, type Validator } from './types';

const INT_RE = /^-?\d+$/;

/** An int64 within [min, max]. */
export const long = (min: bigint, max = BigInt(LONG_MAX)): Validator => (v) => {
  if (!INT_RE.test(v)) return 'Expected a long';
  const n = BigInt(v);
  if (n < -(2n ** 63n) || n > BigInt(LONG_MAX)) return 'Expected a long';
  if (n < min) return `Value must be at least ${min}`;
  if (n > max) return `Value must be no more than ${max}`;
  return undefined;
};

/** An int32 within [min, max]. */
export const int = (min: number, max = 0x7fffffff): Validator => (v) => {
  if (!INT_RE.test(v)) return 'Expected an int';
  const n = Number(v);
  if (n < -0x80000000 || n > 0x7fffffff) return 'Expected an int';
  if (n < min) return `Value must be at least ${min}`;
  if (n > max) return `Value must be no more than ${max}`;
  return undefined;
};

/** An int in [min, max] or one of the listed special values (e.g. -1 for "codec default"). */
export const intOr = (special: number[], min: number, max: number): Validator => (v) =>
  INT_RE.test(v) && special.includes(Number(v)) ? undefined : int(min, max)(v);

export const double = (min: number, max: number): Validator => (v) => {
  if (v === '' || !Number.isFinite(Number(v))) return 'Expected a double';
  const n = Number(v);
  return n < min || n > max ? `Value must be in [${min}, ${max}]` : undefined;
};

export const bool: Validator = (v) => (v.toLowerCase() === 'true' || v.toLowerCase() === 'false' ? undefined : 'Expected value to be either true or false');

/** Case-sensitive choice, as Kafka's ValidString. */
export const oneOf = (...values: string[]): Validator => (v) => (values.includes(v) ? undefined : `String must be one of: ${values.join(', ')}`);

/** A comma-separated list whose items are each one of `values` (Kafka's ValidList); at least one item. */
export const listOf = (...values: string[]): Validator => (v) => {
  const items = splitList(v);
  if (items.length === 0) return `List must contain at least one of: ${values.join(', ')}`;
  const bad = items.find((i) => !values.includes(i));
  return bad === undefined ? undefined : `Invalid value ${bad}: must be one of ${values.join(', ')}`;
};

/** Kafka's throttled-replicas list: empty, "*", or partition:broker pairs. */
export const throttledReplicas: Validator = (v) =>
  v === '' || v === '*' || splitList(v).every((i) => /^\d+:\d+$/.test(i)) ? undefined : 'Must be * or a list of partitionId:brokerId';

export const anyString: Validator = () => undefined;

export function splitList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
