import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generate } from './generate';
import { mergeMessage } from './merge';
import type { RawMessage } from './schema-types';

const req = (validVersions: string, fields: RawMessage['fields'], extra: Partial<RawMessage> = {}): RawMessage =>
  ({ apiKey: 2, type: 'request', name: 'ListOffsetsRequest', validVersions, flexibleVersions: '6+', fields, ...extra });

describe('merging an older schema set under a newer one', () => {
  // Shaped like ListOffsets: Kafka 4 dropped v0 and with it MaxNumOffsets ("0" only).
  const older = req('0-9', [
    { name: 'ReplicaId', type: 'int32', versions: '0+' },
    { name: 'Topics', type: '[]ListOffsetsTopic', versions: '0+', fields: [
      { name: 'Name', type: 'string', versions: '0+' },
      { name: 'Timestamp', type: 'int64', versions: '0+' },
      { name: 'MaxNumOffsets', type: 'int32', versions: '0', default: '1' },
      { name: 'Tail', type: 'int32', versions: '0+' },
    ] },
  ]);
  const newer = req('1-11', [
    { name: 'ReplicaId', type: 'int32', versions: '0+' },
    { name: 'Topics', type: '[]ListOffsetsTopic', versions: '0+', fields: [
      { name: 'Name', type: 'string', versions: '0+' },
      { name: 'Timestamp', type: 'int64', versions: '0+' },
      { name: 'Tail', type: 'int32', versions: '0+' },
    ] },
    { name: 'TimeoutMs', type: 'int32', versions: '10+' },
  ]);

  it('covers both ranges and puts a dropped field back where the older versions had it', () => {
    const merged = mergeMessage(older, newer);
    expect(merged.validVersions).toBe('0-11');
    expect(merged.fields[1].fields!.map((f) => [f.name, f.versions])).toEqual([
      ['Name', '0+'], ['Timestamp', '0+'], ['MaxNumOffsets', '0'], ['Tail', '0+'],
    ]);
    expect(merged.fields.map((f) => f.name)).toEqual(['ReplicaId', 'Topics', 'TimeoutMs']);
  });

  it('takes the newer schema alone when it reaches as low, and the older one for an API Kafka removed', () => {
    expect(mergeMessage(req('1-9', older.fields), newer)).toBe(newer);
    const removed: RawMessage = { apiKey: 2, type: 'request', name: 'ListOffsetsRequest', validVersions: 'none', fields: [] };
    expect(mergeMessage(older, removed).fields).toBe(older.fields);
  });

  it('refuses a merge whose versions would leave a gap or change a field type', () => {
    const gap = req('0-9', [{ name: 'ReplicaId', type: 'int32', versions: '0' }, ...older.fields.slice(1)]);
    const later = req('1-11', [{ name: 'ReplicaId', type: 'int32', versions: '2+' }, ...newer.fields.slice(1)]);
    expect(() => mergeMessage(gap, later)).toThrow(/gap/);
    const retyped = req('1-11', [{ name: 'ReplicaId', type: 'int64', versions: '0+' }, ...newer.fields.slice(1)]);
    expect(() => mergeMessage(older, retyped)).toThrow(/type int32 became int64/);
  });

  it('keeps a field only the newer set has to the newer range', () => {
    const extra = req('1-11', [...newer.fields, { name: 'Extra', type: 'int8', versions: '0+' }]);
    expect(mergeMessage(older, extra).fields.find((f) => f.name === 'Extra')!.versions).toBe('1+');
  });

  it('checks every version against the schema that owns it: a default that changed under the older versions fails', () => {
    const tagged = (def: string) => ({ name: 'Hint', type: 'int32', versions: '0+', taggedVersions: '0+', tag: 0, default: def });
    const olderFlex = req('0-9', [...older.fields, tagged('0')], { flexibleVersions: '0+' });
    const newerFlex = req('1-11', [...newer.fields, tagged('-1')], { flexibleVersions: '0+' });
    expect(() => mergeMessage(olderFlex, newerFlex)).toThrow(/v0: merged layout differs from the older schema/);
  });
});

describe('generate over schema folders', () => {
  it('does not trip over an API the newer set marks removed (no fields, validVersions "none")', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-gen-spec-'));
    try {
      const newerDir = path.join(root, 'messages-9.9.9');
      const olderDir = path.join(root, 'messages');
      fs.mkdirSync(newerDir);
      fs.mkdirSync(olderDir);
      const write = (dir: string, m: object) => fs.writeFileSync(path.join(dir, `${(m as RawMessage).name}.json`), `// comment\n${JSON.stringify(m)}`);
      const old = (type: 'request' | 'response'): RawMessage => ({
        apiKey: 4, type, name: `LeaderAndIsr${type === 'request' ? 'Request' : 'Response'}`, validVersions: '0-1', flexibleVersions: 'none',
        fields: [{ name: 'ControllerId', type: 'int32', versions: '0+' }],
      });
      write(olderDir, old('request'));
      write(olderDir, old('response'));
      write(newerDir, { apiKey: 4, type: 'request', name: 'LeaderAndIsrRequest', validVersions: 'none' });
      write(newerDir, { apiKey: 4, type: 'response', name: 'LeaderAndIsrResponse', validVersions: 'none' });
      fs.writeFileSync(path.join(root, 'error-codes-9.9.9.json'), JSON.stringify([{ code: 0, name: 'NONE', retriable: false }]));
      const files = generate(newerDir, olderDir);
      const registry = files.get('libs/kafka/schema/src/generated/registry.ts')!;
      expect(registry).toContain("{ apiKey: 4, name: 'LeaderAndIsr', validVersions: V(0, 1), flexibleVersions: null,");
      expect(registry).toContain('kafkaVersions: null, latestVersionUnstable: false');
      expect(files.get('libs/kafka/errors/src/generated/error-codes.ts')).toContain('NONE: 0,');
      // Without the older set there is nothing to describe: the removed API is left out.
      expect(generate(newerDir, null).get('libs/kafka/schema/src/generated/registry.ts')).not.toContain('LeaderAndIsr');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
