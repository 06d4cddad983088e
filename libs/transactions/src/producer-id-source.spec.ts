import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ProducerIdSource, type ProducerIdBlock } from './producer-id-source';

/** A stand-in for the controller: consecutive blocks of `size`, counted. */
function controller(size: number) {
  let next = 0n;
  const calls: ProducerIdBlock[] = [];
  return {
    calls,
    fetchBlock: async (): Promise<ProducerIdBlock> => {
      const block = { start: next, length: size };
      next += BigInt(size);
      calls.push(block);
      return block;
    },
  };
}

describe('ProducerIdSource', () => {
  it('hands out every id of a block once, in order, then moves to the next block', async () => {
    const c = controller(10);
    const source = new ProducerIdSource({ fetchBlock: c.fetchBlock });
    const ids: bigint[] = [];
    for (let i = 0; i < 25; i++) ids.push(await source.next());
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => BigInt(i)));
    expect(c.calls.length).toBe(3);
  });

  it('never hands out the same id to concurrent callers', async () => {
    const c = controller(7);
    const source = new ProducerIdSource({ fetchBlock: c.fetchBlock });
    const ids = await Promise.all(Array.from({ length: 50 }, () => source.next()));
    expect(new Set(ids).size).toBe(50);
  });

  it('fetches the next block ahead once the current one is mostly used', async () => {
    const c = controller(10);
    const source = new ProducerIdSource({ fetchBlock: c.fetchBlock, prefetchRatio: 0.5 });
    for (let i = 0; i < 5; i++) await source.next();
    await new Promise((r) => setImmediate(r));
    expect(c.calls.length).toBe(2);
  });

  it('skips the ids of blocks it never used: two sources on one controller stay disjoint', async () => {
    const c = controller(5);
    const a = new ProducerIdSource({ fetchBlock: c.fetchBlock });
    const b = new ProducerIdSource({ fetchBlock: c.fetchBlock });
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push(await a.next(), await b.next());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reports the controller\'s error when no block can be had, and recovers later', async () => {
    let fail = true;
    const source = new ProducerIdSource({
      fetchBlock: async () => {
        if (fail) throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'no leader');
        return { start: 100n, length: 3 };
      },
    });
    await expect(source.next()).rejects.toMatchObject({ code: ErrorCode.NOT_CONTROLLER });
    fail = false;
    expect(await source.next()).toBe(100n);
  });
});
