/** The shapes of Kafka's JSON message schemas, as far as the generator reads them. */

export interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  flexibleVersions?: string;
  tag?: number | string;
  default?: string | number | boolean;
  fields?: RawField[];
}

export interface RawStruct {
  name: string;
  versions?: string;
  fields: RawField[];
}

export interface RawMessage {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data';
  name: string;
  /** "none" for an API Kafka removed (its file then has no fields). */
  validVersions: string;
  flexibleVersions?: string;
  latestVersionUnstable?: boolean;
  fields: RawField[];
  commonStructs?: RawStruct[];
}

/** Inclusive version range; `max` is Infinity for open ranges such as "3+". */
export interface Range {
  min: number;
  max: number;
}

/** Parses "3", "3+", "3-7"; undefined or "none" is null. */
export function parseRange(spec: string | undefined): Range | null {
  if (spec === undefined || spec === 'none') return null;
  const m = /^(\d+)(?:(\+)|-(\d+))?$/.exec(spec.trim());
  if (!m) throw new Error(`bad version range "${spec}"`);
  const min = Number(m[1]);
  return { min, max: m[2] ? Infinity : m[3] !== undefined ? Number(m[3]) : min };
}
