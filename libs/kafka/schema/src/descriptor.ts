/**
 * Shapes of the generated descriptor tables. A descriptor carries structure only: what the
 * generic codec needs to put any version of a message on the wire.
 */

/** Inclusive version range; `max` is Infinity for open ranges such as "3+". */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export type ScalarType =
  | 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64'
  | 'string' | 'uuid' | 'bytes' | 'records';

export type FieldType = ScalarType | 'struct';

export type DefaultValue = number | bigint | boolean | string | null;

export interface FieldDescriptor {
  /** Kafka's field name in camelCase. */
  readonly name: string;
  /** Element type: for `[]T` this is T, with `array` set. */
  readonly type: FieldType;
  readonly array?: true;
  /** Struct name as in the schema, for `struct` fields and struct arrays. */
  readonly struct?: string;
  readonly versions: VersionRange;
  readonly nullableVersions?: VersionRange;
  readonly tag?: number;
  readonly taggedVersions?: VersionRange;
  /** Only the request header's ClientId overrides the message's flexible range (null = never). */
  readonly flexibleVersions?: VersionRange | null;
  /** The schema's explicit default; absent means the type's zero value. */
  readonly default?: DefaultValue;
  readonly fields?: readonly FieldDescriptor[];
}

export type MessageKind = 'request' | 'response' | 'header' | 'data';

export interface MessageDescriptor {
  readonly name: string;
  readonly kind: MessageKind;
  readonly apiKey?: number;
  readonly validVersions: VersionRange;
  /** null when no version is flexible. */
  readonly flexibleVersions: VersionRange | null;
  readonly fields: readonly FieldDescriptor[];
}

export interface ApiSchema {
  readonly apiKey: number;
  readonly name: string;
  /** Every version the descriptors cover: Kafka's current range plus the older versions it removed. */
  readonly validVersions: VersionRange;
  /** The range Kafka's current schemas declare (what a current broker serves); null: Kafka removed the API. */
  readonly kafkaVersions: VersionRange | null;
  /** Kafka marks its highest version unstable (a default broker does not advertise it). */
  readonly latestVersionUnstable: boolean;
  readonly flexibleVersions: VersionRange | null;
  readonly request: MessageDescriptor;
  readonly response: MessageDescriptor;
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** Builds a range; generated tables use it so that "3+" reads as `V(3)`. */
export function V(min: number, max: number = Infinity): VersionRange {
  return Object.freeze({ min, max });
}

export function inRange(version: number, range: VersionRange | null | undefined): boolean {
  return range != null && version >= range.min && version <= range.max;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

export function message(descriptor: MessageDescriptor): MessageDescriptor {
  return deepFreeze(descriptor);
}

export function struct(fields: FieldDescriptor[]): readonly FieldDescriptor[] {
  return deepFreeze(fields);
}
