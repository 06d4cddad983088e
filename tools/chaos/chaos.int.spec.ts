// A short chaos run: every fault kind once, nothing acknowledged may be lost or reordered.
import { join } from 'node:path';
import { repoRoot } from '@dms/testing';
import { runChaos } from './chaos-run';

jest.setTimeout(240_000);

describe('chaos', () => {
  it('loses no acknowledged record while a leader broker, the controller leader, a gateway and etcd are killed in turn', async () => {
    const report = await runChaos({
      durationS: 40,
      partitions: 2,
      faults: ['leader-broker', 'controller', 'gateway', 'etcd'],
      downtimeS: 2,
      settleS: 3,
      leaseTtlMs: 3000,
      distDir: join(repoRoot(), 'dist', 'apps'),
    });
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(['leader-broker', 'controller', 'gateway', 'etcd']));
    expect(report.acknowledged).toBeGreaterThan(100);
    expect(report.lost).toBe(0);
    expect(report.outOfOrder).toBe(0);
    expect(report.read).toBeGreaterThanOrEqual(report.acknowledged);
  });
});
