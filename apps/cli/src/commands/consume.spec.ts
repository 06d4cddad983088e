import { Command } from 'commander';
import { buildRecordBatch, CompressionType } from '@dms/kafka-codec';
import { FakeBroker, KafkaClient, type CliIo } from '@dms/kafka-client';
import { register, startPosition } from './consume';

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { lines: async function* () {}, out: (t) => out.push(t), err: (t) => err.push(t) };
  const program = new Command().exitOverride().configureOutput({ writeErr: (t) => err.push(t) });
  register(program, io);
  process.exitCode = 0;
  await program.parseAsync(args, { from: 'user' });
  return { out: out.join(''), err: err.join(''), code: process.exitCode };
}

describe('dms consume', () => {
  let broker: FakeBroker;
  let client: KafkaClient;
  beforeAll(async () => {
    broker = await FakeBroker.start();
    broker.createTopic('t', 2);
    client = new KafkaClient({ bootstrapServers: broker.address });
    const codecs = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
    for (let i = 0; i < codecs.length; i++) {
      const batch = await buildRecordBatch({
        compression: codecs[i],
        records: [0, 1].map((j) => ({ key: `k${i}${j}`, value: `v${i}${j}`, timestamp: 10_000 + i * 10 + j, headers: [{ key: 'h', value: `${i}` }] })),
      });
      await client.produce('t', 0, batch, -1);
    }
    await client.produce('t', 1, await buildRecordBatch({ records: [{ value: 'other', timestamp: 5 }] }), -1);
  });
  afterAll(async () => { client.close(); await broker.stop(); process.exitCode = 0; });
  const bs = () => ['--bootstrap-server', broker.address, '--timeout-ms', '200'];

  it('reads every codec from the beginning of one partition', async () => {
    const res = await run('consume', 't', '--partition', '0', '--from-beginning', ...bs());
    expect(res.out).toBe(['v00', 'v01', 'v10', 'v11', 'v20', 'v21', 'v30', 'v31', 'v40', 'v41'].map((v) => `${v}\n`).join(''));
  });

  it('reads all partitions and stops at --max-messages', async () => {
    const all = await run('consume', 't', '--from-beginning', ...bs());
    expect(all.out.trim().split('\n').sort()).toHaveLength(11);
    const some = await run('consume', 't', '--partition', '0', '--from-beginning', '--max-messages', '3', '--print-key', '--key-separator', '=', ...bs());
    expect(some.out).toBe('k00=v00\nk01=v01\nk10=v10\n');
  });

  it('starts at an offset or a timestamp and prints JSON', async () => {
    const fromOffset = await run('consume', 't', '--partition', '0', '--offset', '3', '--max-messages', '1', '--json', ...bs());
    expect(JSON.parse(fromOffset.out)).toEqual({
      partition: 0, offset: 3, timestamp: 10_011, key: 'k11', value: 'v11', headers: [{ key: 'h', value: '1' }],
    });
    const fromTs = await run('consume', 't', '--partition', '0', '--from-timestamp', '10030', '--max-messages', '1', '--json', ...bs());
    expect(JSON.parse(fromTs.out)).toMatchObject({ offset: 6, value: 'v30' });
    const iso = new Date(10_040).toISOString();
    expect((await run('consume', 't', '--partition', '0', '--from-timestamp', iso, ...bs())).out).toBe('v40\nv41\n');
  });

  it('starts at the end by default and stops after the idle timeout', async () => {
    const started = Date.now();
    expect(await run('consume', 't', ...bs())).toMatchObject({ out: '', code: 0 });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('--isolation-level read_committed fetches with isolation_level 1 (default 0)', async () => {
    const levels: number[] = [];
    broker.intercept = (key, _version, body) => {
      if (key === 1) levels.push(body.isolationLevel);
      return undefined;
    };
    try {
      const committed = await run('consume', 't', '--partition', '1', '--from-beginning', '--isolation-level', 'read_committed', ...bs());
      expect(committed.out).toBe('other\n');
      expect(new Set(levels)).toEqual(new Set([1]));
      levels.length = 0;
      await run('consume', 't', '--partition', '1', '--from-beginning', ...bs());
      expect(new Set(levels)).toEqual(new Set([0]));
    } finally {
      broker.intercept = undefined;
    }
    await expect(run('consume', 't', '--isolation-level', 'serializable', ...bs())).rejects.toThrow(/isolation-level must be/);
  });

  it('parses start flags and refuses conflicting ones', async () => {
    expect(startPosition({})).toEqual({ kind: 'latest' });
    expect(startPosition({ fromBeginning: true })).toEqual({ kind: 'earliest' });
    expect(startPosition({ offset: 7 })).toEqual({ kind: 'offset', offset: 7n });
    expect(() => startPosition({ fromBeginning: true, offset: 1 })).toThrow(/only one/);
    await expect(run('consume', 't', '--from-timestamp', 'yesterday-ish')).rejects.toThrow(/timestamp must be/);
    expect(await run('consume', 't', '--offset', '1', ...bs())).toMatchObject({ code: 1, err: expect.stringContaining('needs --partition') });
    expect(await run('consume', 'ghost', ...bs())).toMatchObject({ code: 1, err: expect.stringContaining('UNKNOWN_TOPIC_OR_PARTITION') });
  });
});
