import { ErrorCode } from '@dms/kafka-errors';
import { CoordinatorRuntime, type CoordinatorLog, type CoordinatorRecord, type CoordinatorShard, type ShardContext } from './runtime';
import { FakeTimer, settle } from './timer';

/** A counter per key: records are `key -> value` with the value the new count; tombstones delete. */
class CounterShard implements CoordinatorShard {
  readonly counts = new Map<string, number>();
  loaded = false;
  unloaded = false;
  constructor(readonly ctx: ShardContext) {}
  replay(r: CoordinatorRecord): void {
    if (r.value === null) this.counts.delete(r.key.toString());
    else this.counts.set(r.key.toString(), Number(r.value.toString()));
  }
  onLoaded(): void {
    this.loaded = true;
  }
  onUnloaded(): void {
    this.unloaded = true;
  }
  increment(key: string) {
    const next = (this.counts.get(key) ?? 0) + 1;
    return { records: [{ key: Buffer.from(key), value: Buffer.from(String(next)) }], response: next };
  }
}

/** An in-memory log whose appends can be held or failed. */
class MemoryLog implements CoordinatorLog {
  readonly records = new Map<number, CoordinatorRecord[]>();
  failWith: number = ErrorCode.NONE;
  hold: Promise<void> | undefined;
  async *read(partition: number): AsyncIterable<CoordinatorRecord> {
    for (const r of this.records.get(partition) ?? []) yield r;
  }
  async append(partition: number, _epoch: number, records: CoordinatorRecord[]): Promise<number> {
    if (this.hold) await this.hold;
    if (this.failWith !== ErrorCode.NONE) return this.failWith;
    this.records.set(partition, [...(this.records.get(partition) ?? []), ...records]);
    return ErrorCode.NONE;
  }
}

function setup() {
  const log = new MemoryLog();
  const timer = new FakeTimer();
  const shards: CounterShard[] = [];
  const runtime = new CoordinatorRuntime<CounterShard>({
    log,
    timer,
    newShard: (ctx) => {
      const s = new CounterShard(ctx);
      shards.push(s);
      return s;
    },
  });
  return { log, timer, runtime, shards };
}

describe('CoordinatorRuntime', () => {
  it('changes state only by replaying records once they are durable, one operation at a time', async () => {
    const { runtime, log } = setup();
    await runtime.load(0, 1);
    const answers = await Promise.all([1, 2, 3].map(() => runtime.write(0, (s) => s.increment('a'))));
    expect(answers).toEqual([1, 2, 3]);
    expect(log.records.get(0)!.map((r) => r.value!.toString())).toEqual(['1', '2', '3']);

    let release!: () => void;
    log.hold = new Promise((r) => (release = r));
    const pending = runtime.write(0, (s) => s.increment('a'));
    await settle();
    expect(runtime.read(0, (s) => s.counts.get('a'))).toBe(3);
    release();
    expect(await pending).toBe(4);
    expect(runtime.read(0, (s) => s.counts.get('a'))).toBe(4);
  });

  it('a failed append changes nothing and answers the coordinator error', async () => {
    const { runtime, log } = setup();
    await runtime.load(0, 1);
    log.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    await expect(runtime.write(0, (s) => s.increment('a'))).rejects.toMatchObject({ code: ErrorCode.COORDINATOR_NOT_AVAILABLE });
    log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    await expect(runtime.write(0, (s) => s.increment('a'))).rejects.toMatchObject({ code: ErrorCode.NOT_COORDINATOR });
    log.failWith = ErrorCode.NONE;
    expect(await runtime.write(0, (s) => s.increment('a'))).toBe(1);
  });

  it('loads by replaying the log, answers NOT_COORDINATOR elsewhere and after unloading, and cancels the shard timers', async () => {
    const { runtime, log, timer, shards } = setup();
    log.records.set(2, [
      { key: Buffer.from('a'), value: Buffer.from('5') },
      { key: Buffer.from('b'), value: Buffer.from('1') },
      { key: Buffer.from('b'), value: null },
    ]);
    await runtime.load(2, 7);
    expect(runtime.isLoaded(2, 7)).toBe(true);
    expect(shards[0].loaded).toBe(true);
    expect(runtime.read(2, (s) => [...s.counts])).toEqual([['a', 5]]);
    expect(await runtime.write(2, (s) => s.increment('a'))).toBe(6);
    await expect(runtime.write(1, (s) => s.increment('a'))).rejects.toMatchObject({ code: ErrorCode.NOT_COORDINATOR });

    let fired = 0;
    shards[0].ctx.schedule(1000, () => fired++);
    shards[0].ctx.schedule(5000, () => fired++);
    await timer.advance(1000);
    expect(fired).toBe(1);
    runtime.unload(2);
    expect(shards[0].unloaded).toBe(true);
    expect(shards[0].ctx.active()).toBe(false);
    await timer.advance(10_000);
    expect(fired).toBe(1);
    expect(timer.pending).toBe(0);
    await expect(runtime.write(2, (s) => s.increment('a'))).rejects.toMatchObject({ code: ErrorCode.NOT_COORDINATOR });
  });

  it('an operation whose partition moves while appending answers NOT_COORDINATOR; a reload sees the record', async () => {
    const { runtime, log } = setup();
    await runtime.load(0, 1);
    let release!: () => void;
    log.hold = new Promise((r) => (release = r));
    const pending = runtime.write(0, (s) => s.increment('x'));
    await settle();
    runtime.unload(0);
    release();
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.NOT_COORDINATOR });
    log.hold = undefined;
    await runtime.load(0, 2);
    expect(runtime.read(0, (s) => s.counts.get('x'))).toBe(1);
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS while loading', async () => {
    const { runtime, log } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    log.read = async function* () {
      await gate;
      yield { key: Buffer.from('k'), value: Buffer.from('2') };
    };
    const loading = runtime.load(0, 1);
    await expect(runtime.write(0, (s) => s.increment('k'))).rejects.toMatchObject({ code: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS });
    release();
    await loading;
    expect(await runtime.write(0, (s) => s.increment('k'))).toBe(3);
  });

  it('pipelines writes that ask for it: appends go out in order, replays wait for durability and keep that order', async () => {
    const { runtime, log } = setup();
    await runtime.load(0, 1);
    const calls: string[] = [];
    const finish: (() => void)[] = [];
    log.append = (_p, _e, records) => {
      calls.push(records[0].key.toString());
      return new Promise((resolve) => finish.push(() => resolve(ErrorCode.NONE)));
    };
    const seen: (number | undefined)[] = [];
    const first = runtime.write(0, (s) => s.increment('a'), { pipelined: true }).then((r) => (seen.push(runtime.read(0, (s) => s.counts.get('b'))), r));
    const second = runtime.write(0, (s) => s.increment('b'), { pipelined: true });
    await settle();
    // Both are at the log although neither is durable; nothing is replayed yet.
    expect(calls).toEqual(['a', 'b']);
    expect(runtime.read(0, (s) => s.counts.size)).toBe(0);
    // A write that is not pipelined waits for both to finish before it runs.
    const third = runtime.write(0, (s) => s.increment('a'));
    await settle();
    expect(calls).toEqual(['a', 'b']);
    // The second becomes durable first, but replays after the first.
    finish[1]();
    await settle();
    expect(runtime.read(0, (s) => s.counts.get('b'))).toBeUndefined();
    finish[0]();
    expect(await first).toBe(1);
    expect(seen).toEqual([undefined]);
    expect(await second).toBe(1);
    await settle();
    expect(calls).toEqual(['a', 'b', 'a']);
    finish[2]();
    expect(await third).toBe(2);
  });

  it('a failed pipelined append changes nothing, and later writes still run', async () => {
    const { runtime, log } = setup();
    await runtime.load(0, 1);
    log.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    const failed = runtime.write(0, (s) => s.increment('a'), { pipelined: true });
    await expect(failed).rejects.toMatchObject({ code: ErrorCode.COORDINATOR_NOT_AVAILABLE, appendCode: ErrorCode.NOT_ENOUGH_REPLICAS });
    log.failWith = ErrorCode.NONE;
    expect(await runtime.write(0, (s) => s.increment('a'), { pipelined: true })).toBe(1);
  });
});
