import { Command } from 'commander';
import { decodeRecordBatches } from '@dms/kafka-codec';
import { FakeBroker, partitionForKey, type CliIo } from '@dms/kafka-client';
import { register } from './produce';

async function run(input: string[], ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { lines: async function* () { yield* input; }, out: (t) => out.push(t), err: (t) => err.push(t) };
  const program = new Command().exitOverride().configureOutput({ writeErr: (t) => err.push(t) });
  register(program, io);
  process.exitCode = 0;
  await program.parseAsync(args, { from: 'user' });
  return { out: out.join(''), err: err.join(''), code: process.exitCode };
}

async function partitionValues(broker: FakeBroker, topic: string) {
  const out: { key: string | null; value: string }[][] = [];
  for (const log of broker.topics.get(topic)!.partitions) {
    const recs = (await Promise.all(log.batches.map((b) => decodeRecordBatches(b)))).flat().flatMap((b) => b.records);
    out.push(recs.map((r) => ({ key: r.key?.toString() ?? null, value: r.value!.toString() })));
  }
  return out;
}

describe('dms produce', () => {
  let broker: FakeBroker;
  beforeEach(async () => { broker = await FakeBroker.start({ autoCreateTopics: true }); });
  afterEach(async () => { await broker.stop(); process.exitCode = 0; });

  it('places keyed lines by murmur2 like the Java client, in input order', async () => {
    broker.createTopic('t', 4);
    const lines = Array.from({ length: 40 }, (_, i) => `user-${i % 7}:event-${i}`);
    const res = await run(lines, 'produce', 't', '--key-separator', ':', '--batch-size', '3', '--compression', 'lz4', '--bootstrap-server', broker.address);
    expect(res).toMatchObject({ out: 'Produced 40 records to t.\n', code: 0 });
    const parts = await partitionValues(broker, 't');
    for (let p = 0; p < 4; p++) {
      const expected = lines.filter((l) => partitionForKey(Buffer.from(l.split(':')[0]), 4) === p)
        .map((l) => ({ key: l.split(':')[0], value: l.split(':')[1] }));
      expect(parts[p]).toEqual(expected);
    }
  });

  it('spreads unkeyed lines round-robin and honours --partition', async () => {
    broker.createTopic('t', 3);
    await run(['a', 'b', 'c', 'd', 'e', 'f'], 'produce', 't', '--bootstrap-server', broker.address);
    expect((await partitionValues(broker, 't')).map((p) => p.map((r) => r.value))).toEqual([['a', 'd'], ['b', 'e'], ['c', 'f']]);
    const res = await run(['x', 'y'], 'produce', 't', '--partition', '1', '--acks', '0', '--json', '--bootstrap-server', broker.address);
    expect(JSON.parse(res.out)).toEqual({ topic: 't', produced: 2 });
  });

  it('auto-creates a missing topic through metadata', async () => {
    await run(['hello'], 'produce', 'fresh', '--bootstrap-server', broker.address);
    expect((await partitionValues(broker, 'fresh'))[0]).toEqual([{ key: null, value: 'hello' }]);
  });

  it('rejects bad flags and a partition out of range', async () => {
    await expect(run([], 'produce', 't', '--acks', '2')).rejects.toThrow(/acks must be/);
    await expect(run([], 'produce', 't', '--compression', 'brotli')).rejects.toThrow(/compression must be/);
    broker.createTopic('t', 2);
    expect(await run(['a'], 'produce', 't', '--partition', '5', '--bootstrap-server', broker.address))
      .toMatchObject({ code: 1, err: expect.stringContaining('out of range') });
  });

  it('--idempotent produces with a producer id and per-partition sequences, in input order', async () => {
    broker.createTopic('t', 2);
    const lines = Array.from({ length: 30 }, (_, i) => `v${i}`);
    const res = await run(lines, 'produce', 't', '--idempotent', '--batch-size', '2', '--bootstrap-server', broker.address);
    expect(res).toMatchObject({ out: 'Produced 30 records to t.\n', code: 0 });
    expect(broker.producerIds).toEqual([1000n]);
    const parts = (await partitionValues(broker, 't')).map((p) => p.map((r) => r.value));
    // Each partition holds its lines once, in input order; together every line.
    for (const p of parts) expect(p).toEqual(lines.filter((l) => p.includes(l)));
    expect(parts.flat().sort()).toEqual([...lines].sort());
    const headers = (await Promise.all(broker.topics.get('t')!.partitions[0].batches.map((b) => decodeRecordBatches(b)))).flat().map((b) => b.header);
    expect(headers.map((h) => [h.producerId, h.producerEpoch, h.baseSequence])).toEqual(headers.map((_, i) => [1000n, 0, 2 * i]));
    expect(await run(['a'], 'produce', 't', '--idempotent', '--acks', '1', '--bootstrap-server', broker.address))
      .toMatchObject({ code: 1, err: expect.stringContaining('acks=-1') });
  });

  it('--transactional-id commits every --records-per-transaction records and the rest at the end of input', async () => {
    broker.createTopic('t', 2);
    const lines = Array.from({ length: 25 }, (_, i) => `v${i}`);
    const res = await run(lines, 'produce', 't', '--transactional-id', 'cli-tx', '--records-per-transaction', '10', '--batch-size', '4', '--bootstrap-server', broker.address);
    expect(res).toMatchObject({ out: 'Produced 25 records to t.\n', code: 0 });
    expect(broker.txn.ends.map((e) => [e.transactionalId, e.committed])).toEqual([['cli-tx', true], ['cli-tx', true], ['cli-tx', true]]);
    const parts = (await partitionValues(broker, 't')).map((p) => p.map((r) => r.value));
    expect(parts.flat().sort()).toEqual([...lines].sort());
    const headers = (await Promise.all(broker.topics.get('t')!.partitions[0].batches.map((b) => decodeRecordBatches(b)))).flat().map((b) => b.header);
    expect(headers.every((h) => h.isTransactional)).toBe(true);
    expect(await run(['a'], 'produce', 't', '--records-per-transaction', '5', '--bootstrap-server', broker.address))
      .toMatchObject({ code: 1, err: expect.stringContaining('needs --transactional-id') });
  });

  it('--transactional-id aborts the open transaction when a batch fails', async () => {
    broker.createTopic('t', 1);
    broker.intercept = (key, _v, body) => (key === 0 ? {
      throttleTimeMs: 0,
      responses: body.topicData.map((t: any) => ({ name: t.name, partitionResponses: t.partitionData.map((p: any) => ({ index: p.index, errorCode: 10, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null })) })),
    } : undefined);
    const res = await run(['a', 'b'], 'produce', 't', '--transactional-id', 'cli-tx', '--bootstrap-server', broker.address);
    expect(res).toMatchObject({ code: 1, err: expect.stringContaining('MESSAGE_TOO_LARGE') });
    expect(broker.txn.ends).toEqual([{ transactionalId: 'cli-tx', committed: false, partitions: ['t-0'] }]);
  });
});
