// Short chaos runs: every fault kind once, nothing acknowledged may be lost or reordered; and in
// idempotent mode, through leader and gateway kills, nothing may be duplicated either.
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

  it('idempotent mode: no loss, no reorder and no duplicate while leader brokers and a gateway are killed', async () => {
    const report = await runChaos({
      durationS: 30,
      partitions: 2,
      faults: ['leader-broker', 'gateway', 'leader-broker'],
      downtimeS: 2,
      settleS: 3,
      leaseTtlMs: 3000,
      mode: 'idempotent',
      distDir: join(repoRoot(), 'dist', 'apps'),
    });
    expect(report.faults.length).toBeGreaterThanOrEqual(3);
    expect(report.acknowledged).toBeGreaterThan(100);
    expect({ lost: report.lost, outOfOrder: report.outOfOrder, duplicates: report.duplicates }).toEqual({ lost: 0, outOfOrder: 0, duplicates: 0 });
    expect(report.passed).toBe(true);
  });
});
