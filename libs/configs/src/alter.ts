// The two ways a client changes a resource's configs: AlterConfigs replaces the whole set,
// IncrementalAlterConfigs applies SET/DELETE/APPEND/SUBTRACT per key.
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { BROKER_CONFIGS } from './broker-configs';
import { CLIENT_METRICS_CONFIGS } from './client-metrics-configs';
import { GROUP_CONFIGS } from './group-configs';
import { TOPIC_CONFIGS } from './topic-configs';
import { AlterConfigOp } from './types';
import { splitList } from './validators';

export interface ConfigChange {
  name: string;
  /** AlterConfigOp code. */
  op: number;
  value: string | null;
}

/** Refuses a request naming one key twice (Kafka: INVALID_REQUEST). */
export function checkDuplicateKeys(changes: readonly { name: string }[]): void {
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(c.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${c.name}`);
    seen.add(c.name);
  }
}

/** The new set after a whole-set replace: null values mean "unset". */
export function replaceAll(changes: readonly { name: string; value: string | null }[]): Record<string, string> {
  checkDuplicateKeys(changes);
  const out: Record<string, string> = {};
  for (const c of changes) if (c.value !== null) out[c.name] = c.value;
  return out;
}

/**
 * Applies incremental operations to `current` (the resource's own values, not the effective
 * ones). APPEND and SUBTRACT work on LIST keys only; for them `effectiveDefault` gives the value
 * a list starts from when the resource does not set it (Kafka appends to the current effective value).
 */
export function applyIncremental(
  current: Readonly<Record<string, string>>,
  changes: readonly ConfigChange[],
  kind: 'topic' | 'broker' | 'client-metrics' | 'group',
  effectiveDefault: (name: string) => string | null = () => null,
): Record<string, string> {
  checkDuplicateKeys(changes);
  const next: Record<string, string> = { ...current };
  for (const c of changes) {
    const def = kind === 'topic' ? TOPIC_CONFIGS.get(c.name) : kind === 'broker' ? BROKER_CONFIGS.get(c.name) : kind === 'group' ? GROUP_CONFIGS.get(c.name) : CLIENT_METRICS_CONFIGS.get(c.name);
    switch (c.op) {
      case AlterConfigOp.SET:
        if (c.value === null) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Null value not supported for: ${c.name}`);
        next[c.name] = c.value;
        break;
      case AlterConfigOp.DELETE:
        delete next[c.name];
        break;
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        const verb = c.op === AlterConfigOp.APPEND ? 'append' : 'subtract';
        if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown ${kind} config name: ${c.name}`);
        if (def.type !== 'LIST') throw new KafkaError(ErrorCode.INVALID_CONFIG, `Config value ${verb} is not allowed for config key: ${c.name}`);
        const base = splitList(next[c.name] ?? effectiveDefault(c.name) ?? def.default ?? '');
        const items = splitList(c.value ?? '');
        const list = c.op === AlterConfigOp.APPEND ? [...base, ...items.filter((i) => !base.includes(i))] : base.filter((i) => !items.includes(i));
        next[c.name] = list.join(',');
        break;
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${c.op} for ${c.name}`);
    }
  }
  return next;
}
