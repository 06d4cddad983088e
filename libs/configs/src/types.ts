// Kafka's vocabulary for configuration entries, as DescribeConfigs carries it on the wire.

/** DescribeConfigs ConfigType codes (v3+). */
export const ConfigType = {
  UNKNOWN: 0, BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9,
} as const;
export type ConfigTypeName = Exclude<keyof typeof ConfigType, 'UNKNOWN'>;

/** DescribeConfigs ConfigSource codes, highest precedence first. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;

/** Kafka's ConfigResource.Type codes. */
export const ConfigResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

/** IncrementalAlterConfigs operation codes. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export const LONG_MAX = '9223372036854775807';

/** Returns why a value is invalid, or undefined when it is valid (value already trimmed). */
export type Validator = (value: string) => string | undefined;

/** One key's declaration: enough to parse, validate, describe and document it. */
export interface KeyDef {
  name: string;
  type: ConfigTypeName;
  /** Kafka's default as Kafka prints it; null when Kafka has none. */
  default: string | null;
  /** The valid values as Kafka's docs show them, e.g. "[1,...]" or "[CreateTime, LogAppendTime]". */
  valid: string;
  validate: Validator;
  /** One line of our own. */
  doc: string;
}
