import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuReport, formatCpuPer100MB, processesOfCluster, readClusterFile, readCpuSeconds, startCpuSampler } from './cpu';

/** Spins until this process has used `cpuMs` of CPU by Node's own count (at most 10 s of wall time on a busy machine). */
function burn(cpuMs: number): void {
  const start = process.cpuUsage();
  const wallEnd = performance.now() + 10_000;
  let x = 0;
  for (;;) {
    for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= cpuMs || performance.now() > wallEnd) break;
  }
  if (x < 0) throw new Error('unreachable');
}

describe('CPU sampler', () => {
  it('reads this process\'s CPU time from /proc and sees it grow while it works', () => {
    const before = readCpuSeconds(process.pid);
    expect(before).not.toBeNull();
    expect(before!).toBeGreaterThan(0);
    const usage = process.cpuUsage();
    burn(150);
    const after = readCpuSeconds(process.pid)!;
    const used = process.cpuUsage(usage);
    // /proc counts in 10 ms ticks; Node's own counter is the reference.
    expect(after - before!).toBeGreaterThanOrEqual((used.user + used.system) / 1e6 - 0.03);
    expect(after - before!).toBeGreaterThan(0.05);
  });

  it('answers null for a process that does not exist', () => {
    expect(readCpuSeconds(2 ** 31 - 1)).toBeNull();
  });

  it('lists the running processes of a cluster.json with their roles', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-cpu-'));
    try {
      const file = join(dir, 'cluster.json');
      writeFileSync(file, JSON.stringify({
        etcd: { pid: 10 },
        processes: [
          { role: 'controller', id: 1, pid: 11, state: 'running' },
          { role: 'broker', id: 1, pid: 12, state: 'running' },
          { role: 'broker', id: 2, pid: 13, state: 'exited' },
          { role: 'gateway', id: 1, pid: null, state: 'running' },
        ],
      }));
      expect(readClusterFile(file)).toEqual([
        { role: 'etcd', id: 0, pid: 10 }, { role: 'controller', id: 1, pid: 11 }, { role: 'broker', id: 1, pid: 12 },
      ]);
      expect(processesOfCluster({ etcd: { pid: null } as never, processes: [] })).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports CPU seconds per process, per role and in total, per 100 MB and per 10,000 requests', () => {
    const procs = [{ role: 'broker', id: 1, pid: 1 }, { role: 'broker', id: 2, pid: 2 }, { role: 'gateway', id: 1, pid: 3 }, { role: 'etcd', id: 0, pid: 4 }];
    const before = new Map([[1, 10], [2, 20], [3, 5], [4, 1]]);
    const after = new Map<number, number | null>([[1, 12], [2, 21], [3, 5.5], [4, null]]);
    const r = cpuReport(procs, before, after, 50e6, 20_000);
    expect(r.processes.map((p) => [p.pid, p.cpuSeconds, p.per100MB, p.per10kRequests])).toEqual([[1, 2, 4, 1], [2, 1, 2, 0.5], [3, 0.5, 1, 0.25]]);
    expect(r.roles).toEqual({
      broker: { cpuSeconds: 3, per100MB: 6, per10kRequests: 1.5, processes: 2 },
      gateway: { cpuSeconds: 0.5, per100MB: 1, per10kRequests: 0.25, processes: 1 },
    });
    expect(r.total).toEqual({ cpuSeconds: 3.5, per100MB: 7, per10kRequests: 1.75 });
    expect(formatCpuPer100MB(r)).toBe('broker 6.00 · gateway 1.00 · total 7.00');
    expect(cpuReport(procs, before, after, 0, 0).total).toEqual({ cpuSeconds: 3.5, per100MB: null, per10kRequests: null });
  });

  it('samples around a phase of this process', () => {
    const sampler = startCpuSampler([{ role: 'bench', id: 0, pid: process.pid }]);
    burn(100);
    const r = sampler.stop(1e8, 10_000);
    expect(r.roles.bench.processes).toBe(1);
    expect(r.total.cpuSeconds).toBeGreaterThan(0.03);
    expect(r.total.per100MB).toBe(r.total.cpuSeconds);
  });
});
