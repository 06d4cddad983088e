import { readFileSync } from 'node:fs';
import type { ClusterJson } from '@dms/devcluster';

/**
 * CPU time of the processes of a run, from /proc/<pid>/stat (utime + stime, which cover every
 * thread of the process; children are not counted). Linux reports them in clock ticks of
 * USER_HZ, which is 100 on every Linux architecture Node runs on.
 */
const TICKS_PER_SECOND = 100;

export interface ProcessRef {
  role: string;
  id: number;
  pid: number;
}

/** CPU seconds (user + system) a process has used so far, or null when it is gone or unreadable. */
export function readCpuSeconds(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / TICKS_PER_SECOND;
}

/** The processes a dev cluster's cluster.json lists (etcd, controllers, brokers, gateways, or a relay), running ones only. */
export function processesOfCluster(cluster: Pick<ClusterJson, 'etcd' | 'processes'>): ProcessRef[] {
  const out: ProcessRef[] = [];
  if (cluster.etcd?.pid) out.push({ role: 'etcd', id: 0, pid: cluster.etcd.pid });
  for (const p of cluster.processes ?? []) {
    // The web console is a client of the cluster (its requests cost the services CPU, counted there).
    if (p.role === 'console') continue;
    if (p.pid && p.state !== 'exited') out.push({ role: p.role, id: p.id, pid: p.pid });
  }
  return out;
}

export function readClusterFile(path: string): ProcessRef[] {
  return processesOfCluster(JSON.parse(readFileSync(path, 'utf8')) as ClusterJson);
}

export interface CpuFigure {
  cpuSeconds: number;
  /** CPU seconds per 100 MB (1e8 bytes) of record batches moved in the phase; null without bytes. */
  per100MB: number | null;
  /** CPU seconds per 10,000 requests of the phase; null without requests. */
  per10kRequests: number | null;
}

export interface CpuReport {
  processes: (ProcessRef & CpuFigure)[];
  roles: Record<string, CpuFigure & { processes: number }>;
  total: CpuFigure;
}

export type CpuSample = Map<number, number | null>;

/** Samples every process once. */
export function sampleCpu(procs: readonly ProcessRef[]): CpuSample {
  return new Map(procs.map((p) => [p.pid, readCpuSeconds(p.pid)]));
}

function figure(cpuSeconds: number, bytes: number, requests: number): CpuFigure {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    cpuSeconds: r(cpuSeconds),
    per100MB: bytes > 0 ? r(cpuSeconds / (bytes / 1e8)) : null,
    per10kRequests: requests > 0 ? r(cpuSeconds / (requests / 1e4)) : null,
  };
}

/** CPU used between two samples, per process, per role and in total, against the phase's bytes and requests. */
export function cpuReport(procs: readonly ProcessRef[], before: CpuSample, after: CpuSample, bytes: number, requests: number): CpuReport {
  const processes: CpuReport['processes'] = [];
  const roleSeconds = new Map<string, { s: number; n: number }>();
  let total = 0;
  for (const p of procs) {
    const a = before.get(p.pid);
    const b = after.get(p.pid);
    if (a == null || b == null) continue;
    const s = Math.max(0, b - a);
    processes.push({ ...p, ...figure(s, bytes, requests) });
    const role = roleSeconds.get(p.role) ?? { s: 0, n: 0 };
    role.s += s;
    role.n++;
    roleSeconds.set(p.role, role);
    total += s;
  }
  const roles: CpuReport['roles'] = {};
  for (const [role, { s, n }] of roleSeconds) roles[role] = { ...figure(s, bytes, requests), processes: n };
  return { processes, roles, total: figure(total, bytes, requests) };
}

/** Samples the processes around a phase; `stop` gives the report for the phase's bytes and requests. */
export function startCpuSampler(procs: readonly ProcessRef[]): { stop(bytes: number, requests: number): CpuReport } {
  const before = sampleCpu(procs);
  return { stop: (bytes, requests) => cpuReport(procs, before, sampleCpu(procs), bytes, requests) };
}

/** One line per role, e.g. "gateway 1.2 · broker 3.4 · total 4.6" (CPU s per 100 MB). */
export function formatCpuPer100MB(r: CpuReport): string {
  const f = (x: number | null) => (x === null ? '-' : x.toFixed(2));
  return [...Object.entries(r.roles).map(([role, v]) => `${role} ${f(v.per100MB)}`), `total ${f(r.total.per100MB)}`].join(' · ');
}
