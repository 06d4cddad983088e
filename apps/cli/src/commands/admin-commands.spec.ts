// `dms records delete` and `dms configs` against the fake broker: the
// requests they send and how they print Kafka's answers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { FakeBroker, parseAddConfig, parseOffsetJson, type CliIo } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import { register as registerConfigs } from './configs';
import { register as registerRecords } from './records';
import { register as registerTopics } from './topics';

function harness() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { lines: async function* () {}, out: (t) => out.push(t), err: (t) => err.push(t) };
  return async (...args: string[]) => {
    const program = new Command().exitOverride().configureOutput({ writeErr: (t) => err.push(t), writeOut: (t) => out.push(t) });
    for (const r of [registerTopics, registerRecords, registerConfigs]) r(program, io);
    out.length = 0;
    err.length = 0;
    process.exitCode = 0;
    await program.parseAsync(args, { from: 'user' });
    return { out: out.join(''), err: err.join(''), code: process.exitCode };
  };
}

describe('admin commands', () => {
  let broker: FakeBroker;
  let dir: string;
  const run = harness();
  beforeEach(async () => {
    broker = await FakeBroker.start({ versions: { [ApiKey.DeleteRecords]: [0, 2], [ApiKey.DescribeConfigs]: [0, 4], [ApiKey.IncrementalAlterConfigs]: [0, 1] } });
    dir = mkdtempSync(join(tmpdir(), 'dms-admin-cli-'));
  });
  afterEach(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exitCode = 0;
  });

  it('records delete sends each partition to its leader and prints the low watermarks', async () => {
    broker.createTopic('t', 2);
    const seen: any[] = [];
    broker.intercept = (key, _v, body) => {
      if (key !== ApiKey.DeleteRecords) return undefined;
      seen.push(body);
      return {
        throttleTimeMs: 0,
        topics: body.topics.map((t: any) => ({ name: t.name, partitions: t.partitions.map((p: any) => ({
          partitionIndex: p.partitionIndex, lowWatermark: p.offset < 0n ? 50n : p.offset, errorCode: p.offset > 100n ? ErrorCode.OFFSET_OUT_OF_RANGE : 0,
        })) })),
      };
    };
    const file = join(dir, 'offsets.json');
    writeFileSync(file, JSON.stringify({ partitions: [{ topic: 't', partition: 0, offset: 10 }, { topic: 't', partition: 1, offset: -1 }], version: 1 }));
    const res = await run('records', 'delete', '--offset-json-file', file, '--bootstrap-server', broker.address);
    expect(res).toMatchObject({ code: 0, out: 'Executing records delete operation\nRecords delete operation completed:\npartition: t-0\tlow_watermark: 10\npartition: t-1\tlow_watermark: 50\n' });
    expect(seen.flatMap((b) => b.topics.flatMap((t: any) => t.partitions.map((p: any) => [t.name, p.partitionIndex, p.offset])))).toEqual([['t', 0, 10n], ['t', 1, -1n]]);
    writeFileSync(file, JSON.stringify({ partitions: [{ topic: 't', partition: 0, offset: 500 }] }));
    const bad = await run('records', 'delete', '--offset-json-file', file, '--bootstrap-server', broker.address);
    expect(bad).toMatchObject({ code: 1, out: expect.stringContaining('partition: t-0\terror: OFFSET_OUT_OF_RANGE') });
  });

  it('configs --alter sends IncrementalAlterConfigs SET and DELETE; --describe prints dynamic entries', async () => {
    const seen: any[] = [];
    broker.intercept = (key, _v, body) => {
      if (key === ApiKey.IncrementalAlterConfigs) {
        seen.push(body);
        return { throttleTimeMs: 0, responses: [{ resourceType: 2, resourceName: 't', errorCode: 0, errorMessage: null }] };
      }
      if (key === ApiKey.DescribeConfigs) {
        return { throttleTimeMs: 0, results: [{ resourceType: 2, resourceName: 't', errorCode: 0, errorMessage: null, configs: [
          { name: 'retention.ms', value: '5', readOnly: false, configSource: 1, isSensitive: false, synonyms: [{ name: 'retention.ms', value: '5', source: 1 }], configType: 5, documentation: null },
          { name: 'segment.ms', value: '604800000', readOnly: false, configSource: 5, isSensitive: false, synonyms: [], configType: 5, documentation: null },
        ] }] };
      }
      return undefined;
    };
    const bs = ['--bootstrap-server', broker.address];
    expect(await run('configs', '--entity-type', 'topics', '--entity-name', 't', '--alter', '--add-config', 'a=1,b=[x,y]', '--delete-config', 'c', ...bs))
      .toMatchObject({ code: 0, out: 'Completed updating config for topic t.\n' });
    expect(seen[0].resources[0].configs).toEqual([
      { name: 'a', configOperation: 0, value: '1' }, { name: 'b', configOperation: 0, value: 'x,y' }, { name: 'c', configOperation: 1, value: null },
    ]);
    expect((await run('configs', '--entity-type', 'topics', '--entity-name', 't', '--describe', ...bs)).out)
      .toBe('Dynamic configs for topic t are:\n  retention.ms=5 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=5}\n');
    expect((await run('configs', '--entity-type', 'topics', '--entity-name', 't', '--describe', '--all', ...bs)).out).toContain('segment.ms=604800000');
    expect(await run('configs', '--entity-type', 'topics', '--entity-default', '--describe', ...bs)).toMatchObject({ code: 1, err: expect.stringContaining('--entity-default is only valid with --entity-type brokers') });
  });
});

describe('argument parsers', () => {
  it('reads --add-config like kafka-configs.sh', () => {
    expect(parseAddConfig('a=1,b=[x,y],c=')).toEqual({ a: '1', b: 'x,y', c: '' });
    expect(() => parseAddConfig('novalue')).toThrow(/key=value/);
    expect(() => parseAddConfig('a=[x,y')).toThrow(/unclosed/);
  });

  it('reads --offset-json-file like kafka-delete-records.sh', () => {
    expect(parseOffsetJson('{"partitions":[{"topic":"t","partition":1,"offset":"7"}],"version":1}')).toEqual([{ topic: 't', partition: 1, offset: 7n }]);
    expect(() => parseOffsetJson('{"partitions":[]}')).toThrow(/non-empty/);
    expect(() => parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":-2}]}')).toThrow(/offset/);
    expect(() => parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}]}')).toThrow(/more than once/);
    expect(() => parseOffsetJson('nope')).toThrow(/not valid JSON/);
  });
});
