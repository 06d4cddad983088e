import { Command } from 'commander';
import { FakeBroker, type CliIo } from '@dms/kafka-client';
import { parseReplicaAssignment, register } from './topics';

function harness() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { lines: async function* () {}, out: (t) => out.push(t), err: (t) => err.push(t) };
  const run = async (...args: string[]) => {
    const program = new Command().exitOverride().configureOutput({ writeErr: (t) => err.push(t), writeOut: (t) => out.push(t) });
    register(program, io);
    out.length = 0;
    err.length = 0;
    process.exitCode = 0;
    await program.parseAsync(args, { from: 'user' });
    return { out: out.join(''), err: err.join(''), code: process.exitCode };
  };
  return run;
}

describe('dms topics', () => {
  let broker: FakeBroker;
  const run = harness();
  beforeEach(async () => { broker = await FakeBroker.start(); });
  afterEach(async () => { await broker.stop(); process.exitCode = 0; });

  it('creates with partitions and configs, lists, describes and deletes', async () => {
    const bs = ['--bootstrap-server', broker.address];
    let createdConfigs: unknown;
    broker.intercept = (key, _v, body) => { if (key === 19) createdConfigs = body.topics[0].configs; return undefined; };
    expect(await run('topics', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=1000', '--config', 'cleanup.policy=compact', ...bs))
      .toMatchObject({ out: 'Created topic orders.\n', code: 0 });
    expect(createdConfigs).toEqual([{ name: 'retention.ms', value: '1000' }, { name: 'cleanup.policy', value: 'compact' }]);
    await run('topics', 'create', 'audit', ...bs);
    expect(broker.topics.get('audit')!.partitions).toHaveLength(1);

    expect((await run('topics', 'list', ...bs)).out).toBe('audit\norders\n');
    expect(JSON.parse((await run('topics', 'list', '--json', ...bs)).out)).toEqual(['audit', 'orders']);

    const described = JSON.parse((await run('topics', 'describe', 'orders', '--json', ...bs)).out);
    expect(described).toEqual([expect.objectContaining({
      name: 'orders', partitionCount: 3, replicationFactor: 1,
      partitions: [0, 1, 2].map((p) => ({ partition: p, leader: 1, replicas: [1], isr: [1] })),
    })]);
    const text = (await run('topics', 'describe', 'orders', ...bs)).out;
    expect(text).toContain('PartitionCount: 3');
    expect(text).toContain('\tTopic: orders\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1\n');

    expect(await run('topics', 'delete', 'orders', ...bs)).toMatchObject({ out: 'Deleted topic orders.\n', code: 0 });
    expect([...broker.topics.keys()]).toEqual(['audit']);
  });

  it('reports Kafka errors with their name and exit code 1', async () => {
    const bs = ['--bootstrap-server', broker.address];
    broker.createTopic('dup', 1);
    expect(await run('topics', 'create', 'dup', ...bs)).toMatchObject({ code: 1, err: expect.stringContaining('TOPIC_ALREADY_EXISTS') });
    expect(await run('topics', 'delete', 'ghost', ...bs)).toMatchObject({ code: 1, err: expect.stringContaining('UNKNOWN_TOPIC_OR_PARTITION') });
    expect(await run('topics', 'describe', 'ghost', ...bs)).toMatchObject({ code: 1, out: expect.stringContaining('UNKNOWN_TOPIC_OR_PARTITION') });
  });

  it('rejects bad arguments before connecting', async () => {
    await expect(run('topics', 'create', 'x', '--partitions', 'zero')).rejects.toThrow(/--partitions must be an integer/);
    await expect(run('topics', 'create', 'x', '--config', 'novalue')).rejects.toThrow(/key=value/);
    await expect(run('topics', 'create')).rejects.toThrow(/missing required argument/);
  });

  it('fails cleanly when no broker answers', async () => {
    const port = broker.port;
    await broker.stop();
    broker = await FakeBroker.start();
    expect(await run('topics', 'list', '--bootstrap-server', `127.0.0.1:${port}`)).toMatchObject({ code: 1, err: expect.stringContaining('NETWORK_EXCEPTION') });
  });
});

describe('parseReplicaAssignment', () => {
  it('reads kafka-topics.sh lists: partitions by commas, replicas by colons', () => {
    expect(parseReplicaAssignment('1:2,2:3, 3 : 1')).toEqual([[1, 2], [2, 3], [3, 1]]);
    expect(parseReplicaAssignment('4')).toEqual([[4]]);
    expect(() => parseReplicaAssignment('1:x')).toThrow(/invalid --replica-assignment/);
    expect(() => parseReplicaAssignment('1,,2')).toThrow(/invalid --replica-assignment/);
  });
});
