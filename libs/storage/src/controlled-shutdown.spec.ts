import { EventEmitter } from 'node:events';
import { ErrorCode } from '@dms/kafka-errors';
import { runControlledShutdown, type ControlledShutdownDeps } from './controlled-shutdown';

type Answer = { errorCode: number; errorMessage: string; remaining: { topic: string; partition: number }[]; stuck: number };

function deps(answers: Array<Answer | Error>, led: () => number[] = () => []) {
  const calls: number[] = [];
  const view = Object.assign(new EventEmitter(), {
    allPartitions: () => led().map((leader, partition) => ({ topic: 't', partition, state: { replicas: [1, 2], leader, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 0 } })),
  });
  const d: ControlledShutdownDeps = {
    brokerId: 1,
    controller: {
      controlledShutdown: async (brokerId: number) => {
        calls.push(brokerId);
        const a = answers.shift() ?? new Error('no more answers');
        if (a instanceof Error) throw a;
        return a;
      },
    },
    view: view as unknown as ControlledShutdownDeps['view'],
    settings: { enable: true, maxRetries: 3, retryBackoffMs: 0 },
    logger: { info: () => undefined, warn: () => undefined } as unknown as ControlledShutdownDeps['logger'],
  };
  return { d, calls, view };
}

const ok = (remaining = 0, stuck = 0): Answer => ({
  errorCode: ErrorCode.NONE,
  errorMessage: '',
  remaining: Array.from({ length: remaining }, (_, partition) => ({ topic: 't', partition })),
  stuck,
});

describe('runControlledShutdown', () => {
  it('is done after one answer with nothing left', async () => {
    const { d, calls } = deps([ok()]);
    await expect(runControlledShutdown(d)).resolves.toBe('done');
    expect(calls).toEqual([1]);
  });

  it('retries failures and partitions that could still move, up to max.retries', async () => {
    const { d, calls } = deps([new Error('unavailable'), { ...ok(), errorCode: ErrorCode.NOT_CONTROLLER }, ok()]);
    await expect(runControlledShutdown(d)).resolves.toBe('done');
    expect(calls).toHaveLength(3);
    const gaveUp = deps([ok(2, 1), ok(2, 1), ok(2, 1), ok()]);
    await expect(runControlledShutdown(gaveUp.d)).resolves.toBe('gave-up');
    expect(gaveUp.calls).toHaveLength(3);
  });

  it('stops at once when what remains has no other in-sync replica', async () => {
    const { d, calls } = deps([ok(2, 2)], () => [1, 1]);
    await expect(runControlledShutdown(d)).resolves.toBe('kept');
    expect(calls).toHaveLength(1);
  });

  it('waits for its own metadata to show the new leaders', async () => {
    let leaders = [1, 1];
    const { d, view } = deps([ok()], () => leaders);
    d.settings.retryBackoffMs = 10_000;
    let settled = false;
    const run = runControlledShutdown(d).then((r) => ((settled = true), r));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    leaders = [2, 2];
    view.emit('change', {});
    await expect(run).resolves.toBe('done');
  });

  it('does nothing when disabled', async () => {
    const { d, calls } = deps([ok()]);
    d.settings.enable = false;
    await expect(runControlledShutdown(d)).resolves.toBe('disabled');
    expect(calls).toEqual([]);
  });
});
