/**
 * Merges two sets of Kafka message schemas into one: a newer set (e.g. a release's) and an older
 * one that still describes versions the newer set dropped (KIP-896 removed versions in 4.0 that
 * DMS keeps serving). Per message, versions below the newer set's floor come from the older
 * schema and the rest from the newer one, so one descriptor covers both.
 *
 * The merge is checked, not trusted: for every version the merged field list must put exactly
 * the same fields on the wire (names, types, nullability, tags, defaults, nesting) as the schema
 * that owns that version, else generation fails.
 */
import type { Range, RawField, RawMessage, RawStruct } from './schema-types';
import { parseRange } from './schema-types';

const NONE: Range = { min: 1, max: 0 };
const isEmpty = (r: Range): boolean => r.min > r.max;
const clip = (r: Range | null, lo: number, hi: number): Range =>
  r ? { min: Math.max(r.min, lo), max: Math.min(r.max, hi) } : NONE;

function spec(r: Range): string | undefined {
  if (isEmpty(r)) return undefined;
  if (r.max === Infinity) return `${r.min}+`;
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}

/** The union of two ranges that must touch or overlap; throws on a gap. */
function join(a: Range, b: Range, what: string): Range {
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  const [lo, hi] = a.min <= b.min ? [a, b] : [b, a];
  if (hi.min > lo.max + 1) throw new Error(`${what}: versions ${spec(lo)} and ${spec(hi)} leave a gap`);
  return { min: lo.min, max: Math.max(lo.max, hi.max) };
}

/** Older versions (< floor) of `older`'s range joined with newer versions (>= floor) of `newer`'s. */
function splice(older: string | undefined, newer: string | undefined, floor: number, what: string): string | undefined {
  return spec(join(clip(parseRange(older), 0, floor - 1), clip(parseRange(newer), floor, Infinity), what));
}

const elementOf = (type: string): string => (type.startsWith('[]') ? type.slice(2) : type);
const SCALAR = /^(bool|int8|int16|uint16|int32|uint32|int64|float64|string|uuid|bytes|records)$/;

interface Side {
  fields: RawField[];
  structs: Map<string, RawField[]>;
}

function structFields(f: RawField, structs: Map<string, RawField[]>, what: string): RawField[] {
  if (f.fields) return f.fields;
  const common = structs.get(elementOf(f.type));
  if (!common) throw new Error(`${what}: unknown struct ${f.type}`);
  return common;
}

class Merger {
  constructor(
    private readonly floor: number,
    private readonly olderStructs: Map<string, RawField[]>,
    private readonly newerStructs: Map<string, RawField[]>,
    private readonly what: string,
  ) {}

  /** Merged field list: newer fields in their order, fields only older versions had at their old place. */
  fields(older: RawField[], newer: RawField[], path: string): RawField[] {
    const floor = this.floor;
    const relevant = older.filter((f) => !isEmpty(clip(parseRange(f.versions), 0, floor - 1)));
    const out: RawField[] = [];
    const olderByName = new Map(relevant.map((f) => [f.name, f]));
    for (const f of newer) {
      const old = olderByName.get(f.name);
      if (old) out.push(this.field(old, f, `${path}.${f.name}`));
      else if (!isEmpty(clip(parseRange(f.versions), floor, Infinity))) out.push(this.newerOnly(f));
    }
    // A field dropped from the newer schema goes right after the field that preceded it before.
    relevant.forEach((f, i) => {
      if (newer.some((n) => n.name === f.name)) return;
      const prev = relevant.slice(0, i).reverse().find((p) => out.some((o) => o.name === p.name));
      const at = prev ? out.findIndex((o) => o.name === prev.name) + 1 : 0;
      out.splice(at, 0, this.olderOnly(f));
    });
    return out;
  }

  /** A newer field is on the wire only from the floor up (older versions are the older schema's). */
  private newerOnly(f: RawField): RawField {
    const versions = spec(clip(parseRange(f.versions), this.floor, Infinity))!;
    return { ...f, versions, ...this.restricted(f, this.floor, Infinity) };
  }

  private olderOnly(f: RawField): RawField {
    const versions = spec(clip(parseRange(f.versions), 0, this.floor - 1))!;
    const out: RawField = { ...f, versions, ...this.restricted(f, 0, this.floor - 1) };
    if (!SCALAR.test(elementOf(f.type)) && !f.fields) out.fields = structFields(f, this.olderStructs, this.what);
    return out;
  }

  private restricted(f: RawField, lo: number, hi: number): Partial<RawField> {
    const out: Partial<RawField> = {};
    if (f.nullableVersions !== undefined) out.nullableVersions = spec(clip(parseRange(f.nullableVersions), lo, hi)) ?? 'none';
    if (f.taggedVersions !== undefined) out.taggedVersions = spec(clip(parseRange(f.taggedVersions), lo, hi)) ?? 'none';
    return out;
  }

  private field(old: RawField, f: RawField, path: string): RawField {
    const what = `${this.what} ${path}`;
    const [oe, ne] = [elementOf(old.type), elementOf(f.type)];
    const oldStruct = !SCALAR.test(oe);
    if (oldStruct !== !SCALAR.test(ne) || old.type.startsWith('[]') !== f.type.startsWith('[]') || (!oldStruct && oe !== ne)) {
      throw new Error(`${what}: type ${old.type} became ${f.type}`);
    }
    if ((old.tag !== undefined || f.tag !== undefined) && String(old.tag) !== String(f.tag)) {
      throw new Error(`${what}: tag ${old.tag} became ${f.tag}`);
    }
    const out: RawField = { ...f, versions: splice(old.versions, f.versions, this.floor, what)! };
    const nullable = splice(old.nullableVersions, f.nullableVersions, this.floor, `${what} nullable`);
    if (nullable) out.nullableVersions = nullable;
    else delete out.nullableVersions;
    if (old.taggedVersions !== undefined || f.taggedVersions !== undefined) {
      out.taggedVersions = splice(old.taggedVersions ?? old.versions, f.taggedVersions ?? f.versions, this.floor, `${what} tagged`);
    }
    if (oldStruct) {
      const bothCommon = !old.fields && !f.fields && oe === ne;
      if (!bothCommon) {
        out.fields = this.fields(structFields(old, this.olderStructs, what), structFields(f, this.newerStructs, what), path);
      }
    }
    return out;
  }
}

/** One message: `older` supplies the versions below `newer`'s floor. Either may be absent. */
export function mergeMessage(older: RawMessage | undefined, newer: RawMessage | undefined): RawMessage {
  if (!newer) return older!;
  const newValid = parseRange(newer.validVersions);
  if (!older) return newer;
  const oldValid = parseRange(older.validVersions);
  if (!newValid) {
    // Kafka removed the API: its older schema is all there is.
    return { ...older, name: newer.name, fields: older.fields };
  }
  if (!oldValid || oldValid.min >= newValid.min) return newer;
  const floor = newValid.min;
  const what = newer.name;
  const olderStructs = new Map((older.commonStructs ?? []).map((s) => [s.name, s.fields]));
  const newerStructs = new Map((newer.commonStructs ?? []).map((s) => [s.name, s.fields]));
  const merger = new Merger(floor, olderStructs, newerStructs, what);
  const commonStructs: RawStruct[] = (newer.commonStructs ?? []).map((s) => {
    const old = olderStructs.get(s.name);
    return old ? { ...s, fields: merger.fields(old, s.fields, s.name) } : s;
  });
  const merged: RawMessage = {
    ...newer,
    validVersions: spec({ min: oldValid.min, max: newValid.max })!,
    flexibleVersions: splice(older.flexibleVersions, newer.flexibleVersions, floor, `${what} flexible`) ?? 'none',
    fields: merger.fields(older.fields, newer.fields, ''),
    ...(commonStructs.length ? { commonStructs } : {}),
  };
  checkMerge(merged, older, newer, floor);
  return merged;
}

/** What one version of a field list puts on the wire, as comparable data. */
function wire(fields: RawField[], structs: Map<string, RawField[]>, version: number, flexible: boolean, what: string): unknown[] {
  const inR = (s: string | undefined): boolean => {
    const r = parseRange(s);
    return !!r && version >= r.min && version <= r.max;
  };
  const out: unknown[] = [];
  for (const f of fields) {
    const tagged = f.tag !== undefined;
    if (tagged ? !(flexible && inR(f.taggedVersions ?? f.versions)) : !inR(f.versions)) continue;
    const element = elementOf(f.type);
    const struct = !SCALAR.test(element);
    out.push({
      name: f.name,
      type: struct ? (f.type.startsWith('[]') ? '[]struct' : 'struct') : f.type,
      nullable: inR(f.nullableVersions),
      tag: tagged ? Number(f.tag) : null,
      default: f.default === undefined ? null : String(f.default),
      fields: struct ? wire(structFields(f, structs, what), structs, version, flexible, what) : null,
    });
  }
  return out;
}

function checkMerge(merged: RawMessage, older: RawMessage, newer: RawMessage, floor: number): void {
  const structsOf = (m: RawMessage) => new Map((m.commonStructs ?? []).map((s) => [s.name, s.fields]));
  const valid = parseRange(merged.validVersions)!;
  for (let v = valid.min; v <= valid.max; v++) {
    const owner = v < floor ? older : newer;
    const flexOf = (m: RawMessage): boolean => {
      const r = parseRange(m.flexibleVersions);
      return !!r && v >= r.min && v <= r.max;
    };
    if (flexOf(merged) !== flexOf(owner)) throw new Error(`${merged.name} v${v}: flexibility differs after merge`);
    const got = JSON.stringify(wire(merged.fields, structsOf(merged), v, flexOf(merged), merged.name));
    const want = JSON.stringify(wire(owner.fields, structsOf(owner), v, flexOf(owner), owner.name));
    if (got !== want) throw new Error(`${merged.name} v${v}: merged layout differs from the ${v < floor ? 'older' : 'newer'} schema`);
  }
}
