// Faults beyond SIGKILL, each once with acks=all on a short run: a partition leader cut from etcd,
// from its followers and from the controllers (nftables between the dev cluster's distinct
// loopback addresses); the leader stopped (SIGSTOP) for half the lease TTL and for twice it; the
// leader's log dir (a small tmpfs) filled. Nothing acknowledged may be lost or reordered, and the
// consumer reading along may never be shown a partition behind what it already read. Needs root
// (nftables, mount): without it the run throws "needs root for nftables/mount".
import { join } from 'node:path';
import { repoRoot } from '@dms/testing';
import { runChaos, type ChaosReport } from './chaos-run';
import type { FaultKind } from './faults';

jest.setTimeout(240_000);

function run(faults: FaultKind[]): Promise<ChaosReport> {
  return runChaos({
    durationS: 15,
    partitions: 2,
    faults,
    downtimeS: 2,
    settleS: 5,
    leaseTtlMs: 3000,
    distDir: join(repoRoot(), 'dist', 'apps'),
    log: (l) => process.stderr.write(`chaos: ${l}\n`),
  });
}

function figures(report: ChaosReport): string {
  return report.faults.map((f) => `${f.kind}: ${f.target}; held ${f.heldMs} ms, longest unavailability ${f.unavailableMs} ms, recovered ${f.recoveredAfterMs} ms after undo${f.exits.length ? `; exits: ${f.exits.join('; ')}` : ''}`).join('\n') +
    `\nacknowledged ${report.acknowledged}, lost ${report.lost}, duplicates ${report.duplicates}, consumer read ${report.consumed}, stale ${report.staleReads}, vanished ${report.vanishedReads}`;
}

function expectSafe(report: ChaosReport, kinds: FaultKind[]): void {
  process.stderr.write(`${figures(report)}\n`);
  expect(report.faults.map((f) => f.kind)).toEqual(expect.arrayContaining(kinds));
  expect(report.acknowledged).toBeGreaterThan(100);
  expect(report.consumed).toBeGreaterThan(100);
  expect({ lost: report.lost, outOfOrder: report.outOfOrder, staleReads: report.staleReads, vanishedReads: report.vanishedReads })
    .toEqual({ lost: 0, outOfOrder: 0, staleReads: 0, vanishedReads: 0 });
  expect(report.read).toBeGreaterThanOrEqual(report.acknowledged);
}

describe('chaos beyond SIGKILL', () => {
  it('a partition leader cut from etcd, from its followers, from the controllers: no acknowledged record lost, no stale read', async () => {
    const kinds: FaultKind[] = ['isolate-etcd', 'isolate-followers', 'isolate-controller'];
    expectSafe(await run(kinds), kinds);
  });

  it('a partition leader stopped for half the lease TTL and for twice it, and its disk filled: no acknowledged record lost, no stale read', async () => {
    const kinds: FaultKind[] = ['pause-short', 'pause-long', 'disk-full'];
    expectSafe(await run(kinds), kinds);
  });
});
