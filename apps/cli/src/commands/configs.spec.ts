// `dms configs` against the fake broker: the requests it sends and how it prints Kafka's answers.
import { Command } from 'commander';
import { FakeBroker, parseAddConfig, type CliIo } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import { register as registerConfigs } from './configs';
import { register as registerTopics } from './topics';

function harness() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { lines: async function* () {}, out: (t) => out.push(t), err: (t) => err.push(t) };
  return async (...args: string[]) => {
    const program = new Command().exitOverride().configureOutput({ writeErr: (t) => err.push(t), writeOut: (t) => out.push(t) });
    for (const r of [registerTopics, registerConfigs]) r(program, io);
    out.length = 0;
    err.length = 0;
    process.exitCode = 0;
    await program.parseAsync(args, { from: 'user' });
    return { out: out.join(''), err: err.join(''), code: process.exitCode };
  };
}

describe('dms configs', () => {
  let broker: FakeBroker;
  const run = harness();
  beforeEach(async () => {
    broker = await FakeBroker.start({ versions: { [ApiKey.DescribeConfigs]: [0, 4], [ApiKey.IncrementalAlterConfigs]: [0, 1] } });
  });
  afterEach(async () => {
    await broker.stop();
    process.exitCode = 0;
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

  it('configs --entity-type groups alters and describes a GROUP resource (type 32, source GROUP_CONFIG)', async () => {
    const seen: any[] = [];
    broker.intercept = (key, _v, body) => {
      seen.push([key, body]);
      if (key === ApiKey.IncrementalAlterConfigs) {
        return { throttleTimeMs: 0, responses: [{ resourceType: 32, resourceName: 'work', errorCode: 0, errorMessage: null }] };
      }
      if (key === ApiKey.DescribeConfigs) {
        return { throttleTimeMs: 0, results: [{ resourceType: 32, resourceName: 'work', errorCode: 0, errorMessage: null, configs: [
          { name: 'share.record.lock.duration.ms', value: '15000', readOnly: false, configSource: 8, isSensitive: false, synonyms: [], configType: 3, documentation: null },
          { name: 'share.delivery.count.limit', value: '5', readOnly: false, configSource: 5, isSensitive: false, synonyms: [], configType: 3, documentation: null },
        ] }] };
      }
      return undefined;
    };
    const bs = ['--bootstrap-server', broker.address];
    expect(await run('configs', '--entity-type', 'groups', '--entity-name', 'work', '--alter', '--add-config', 'share.record.lock.duration.ms=15000', ...bs))
      .toMatchObject({ code: 0, out: 'Completed updating config for group work.\n' });
    expect(seen.find(([k]) => k === ApiKey.IncrementalAlterConfigs)[1].resources[0]).toMatchObject({ resourceType: 32, resourceName: 'work', configs: [{ name: 'share.record.lock.duration.ms', configOperation: 0, value: '15000' }] });
    expect((await run('configs', '--entity-type', 'groups', '--entity-name', 'work', '--describe', ...bs)).out)
      .toBe('Dynamic configs for group work are:\n  share.record.lock.duration.ms=15000 sensitive=false synonyms={}\n');
    expect((await run('configs', '--entity-type', 'groups', '--describe', ...bs)).err).toContain('--entity-name is required for groups');
  });
});

describe('argument parsers', () => {
  it('reads --add-config like kafka-configs.sh', () => {
    expect(parseAddConfig('a=1,b=[x,y],c=')).toEqual({ a: '1', b: 'x,y', c: '' });
    expect(() => parseAddConfig('novalue')).toThrow(/key=value/);
    expect(() => parseAddConfig('a=[x,y')).toThrow(/unclosed/);
  });

});
