import { AppendOrder } from './append-order';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('AppendOrder', () => {
  it('lets a later request append only after every earlier one of the same partition, whatever its checks take', async () => {
    const order = new AppendOrder();
    const appended: string[] = [];
    const request = async (name: string, checkMs: number) => {
      const turn = order.turn('t\0' + 0);
      try {
        await new Promise((r) => setTimeout(r, checkMs)); // e.g. decompressing a large batch
        if (turn.ready) await turn.ready;
        appended.push(name);
      } finally {
        turn.done();
      }
    };
    await Promise.all([request('first (slow)', 30), request('second (fast)', 0), request('third', 5)]);
    expect(appended).toEqual(['first (slow)', 'second (fast)', 'third']);
    await tick();
    expect(order.pending).toBe(0);
  });

  it('does not hold other partitions, and a request that gives up releases the next', async () => {
    const order = new AppendOrder();
    const a = order.turn('a');
    const b = order.turn('b');
    expect(a.ready).toBeUndefined();
    expect(b.ready).toBeUndefined();
    const a2 = order.turn('a');
    let a2Ready = false;
    void a2.ready!.then(() => (a2Ready = true));
    await tick();
    expect(a2Ready).toBe(false);
    a.done(); // refused before appending
    a.done(); // twice is harmless
    await tick();
    expect(a2Ready).toBe(true);
    a2.done();
    b.done();
    await tick();
    expect(order.pending).toBe(0);
  });

  it('a later request that gives up first still leaves the one after it waiting for the earliest', async () => {
    const order = new AppendOrder();
    const first = order.turn('a');
    const second = order.turn('a');
    const third = order.turn('a');
    const settled: string[] = [];
    void second.ready!.then(() => settled.push('second'));
    void third.ready!.then(() => settled.push('third'));
    second.done(); // refused before its turn came
    await tick();
    expect(settled).toEqual([]);
    first.done();
    await tick();
    expect(settled).toEqual(['second', 'third']);
    expect(order.pending).toBe(1); // the third has not appended yet
    third.done();
    expect(order.pending).toBe(0);
  });
});
