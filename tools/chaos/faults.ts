/**
 * The faults a chaos run injects, each as start → hold → undo. The SIGKILL faults kill a process
 * and restart it; the host faults cut network pairs (nftables), stop a process (SIGSTOP) or fill
 * a broker's disk, and their undo always runs, even when the run fails.
 */
import type { ClusterView } from '@dms/cluster';
import { devAdminCertificate, type DevCluster } from '@dms/devcluster';
import { ErrorCode } from '@dms/kafka-errors';
import { StorageServiceClient, createClient, loadInternalTls, unary } from '@dms/rpc';
import { continueOnExit, NetworkCut, SmallDisk } from './host-faults';

export const KILL_FAULTS = ['leader-broker', 'controller', 'gateway', 'etcd'] as const;
export const HOST_FAULTS = ['isolate-etcd', 'isolate-followers', 'isolate-controller', 'pause-short', 'pause-long', 'disk-full'] as const;
export type KillFault = (typeof KILL_FAULTS)[number];
export type HostFault = (typeof HOST_FAULTS)[number];
export type FaultKind = KillFault | HostFault;
export const ALL_FAULTS: readonly FaultKind[] = [...KILL_FAULTS, ...HOST_FAULTS];

export function isHostFault(kind: FaultKind): kind is HostFault {
  return (HOST_FAULTS as readonly string[]).includes(kind);
}

/** Faults that cut addresses apart need every process on its own address. */
export function needsDistinctAddresses(kind: FaultKind): boolean {
  return kind.startsWith('isolate-');
}

export interface FaultContext {
  cluster: DevCluster;
  view: ClusterView;
  topic: string;
  leaseTtlMs: number;
  /** How long a killed process stays down. */
  downtimeMs: number;
  net: NetworkCut;
  /** Per broker id, the small disk its log dir lives on (disk-full runs only). */
  disks: Map<number, SmallDisk>;
}

export interface ActiveFault {
  target: string;
  /** How long the fault stays before undo(). */
  holdMs: number;
  /** Ends the fault (restart, heal, SIGCONT, free the space). Safe to call twice. */
  undo(): Promise<void>;
}

/** How long a host fault holds: long enough for sessions (TTL) and the ISR to react. */
export function hostHoldMs(kind: HostFault, leaseTtlMs: number, downtimeMs: number): number {
  switch (kind) {
    case 'pause-short':
      return Math.round(leaseTtlMs / 2);
    case 'pause-long':
      return 2 * leaseTtlMs;
    default:
      return Math.max(downtimeMs, 2 * leaseTtlMs + 1000);
  }
}

function leaderOf(ctx: FaultContext): { leader: number; followers: number[] } {
  const p = ctx.view.partitions(ctx.topic).get(0);
  const leader = p?.leader ?? 1;
  return { leader, followers: (p?.replicas ?? []).filter((r) => r !== leader) };
}

function addressOf(ctx: FaultContext, role: 'broker' | 'controller' | 'gateway', id: number): string {
  const rec = ctx.cluster.status().processes.find((p) => p.role === role && p.id === id);
  if (!rec) throw new Error(`no ${role} ${id}`);
  return rec.address;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

export async function startFault(kind: FaultKind, ctx: FaultContext): Promise<ActiveFault> {
  const { cluster } = ctx;
  const restart = (role: 'broker' | 'controller' | 'gateway', id: number) => once(() => cluster.restart(role, id).then(() => undefined));
  switch (kind) {
    case 'leader-broker': {
      const { leader } = leaderOf(ctx);
      await cluster.kill('broker', leader, 'SIGKILL');
      return { target: `broker ${leader}`, holdMs: ctx.downtimeMs, undo: restart('broker', leader) };
    }
    case 'controller': {
      const leader = ctx.view.controllerLeader()?.id ?? 1;
      await cluster.kill('controller', leader, 'SIGKILL');
      return { target: `controller ${leader}`, holdMs: ctx.downtimeMs, undo: restart('controller', leader) };
    }
    case 'gateway':
      await cluster.kill('gateway', 1, 'SIGKILL');
      return { target: 'gateway 1', holdMs: ctx.downtimeMs, undo: restart('gateway', 1) };
    case 'etcd':
      await cluster.killEtcd('SIGKILL');
      return { target: 'etcd', holdMs: ctx.downtimeMs, undo: once(() => cluster.restartEtcd()) };
    case 'isolate-etcd':
    case 'isolate-followers':
    case 'isolate-controller': {
      const { leader, followers } = leaderOf(ctx);
      const me = addressOf(ctx, 'broker', leader);
      const controllers = cluster.status().processes.filter((p) => p.role === 'controller');
      const peers =
        kind === 'isolate-etcd' ? [{ name: 'etcd', address: cluster.status().etcd.address }]
        : kind === 'isolate-followers' ? followers.map((f) => ({ name: `broker ${f}`, address: addressOf(ctx, 'broker', f) }))
        : controllers.map((c) => ({ name: `controller ${c.id}`, address: c.address }));
      if (peers.some((p) => p.address === me)) throw new Error(`${kind} needs a dev cluster with distinct addresses`);
      await ctx.net.cut(peers.map((p) => [me, p.address] as const));
      return {
        target: `broker ${leader} (${me}) cut from ${peers.map((p) => `${p.name} (${p.address})`).join(', ')}`,
        holdMs: hostHoldMs(kind, ctx.leaseTtlMs, ctx.downtimeMs),
        undo: once(() => ctx.net.heal()),
      };
    }
    case 'pause-short':
    case 'pause-long': {
      const { leader } = leaderOf(ctx);
      const pid = cluster.service('broker', leader).pid;
      if (!pid) throw new Error(`broker ${leader} is not running`);
      const forget = continueOnExit(pid);
      await cluster.kill('broker', leader, 'SIGSTOP');
      const holdMs = hostHoldMs(kind, ctx.leaseTtlMs, ctx.downtimeMs);
      const resume = once(async () => {
        await cluster.kill('broker', leader, 'SIGCONT');
        forget();
      });
      return { target: `broker ${leader} stopped for ${holdMs} ms (lease TTL ${ctx.leaseTtlMs} ms)`, holdMs, undo: resume };
    }
    case 'disk-full': {
      const { leader } = leaderOf(ctx);
      const disk = ctx.disks.get(leader);
      if (!disk) throw new Error(`broker ${leader} has no small disk: disk-full needs the chaos run to mount one per broker`);
      const filled = disk.fill();
      return {
        target: `broker ${leader} log dir full (${disk.sizeMiB} MiB tmpfs, ${Math.round(filled / (1 << 20))} MiB of filler)`,
        holdMs: hostHoldMs(kind, ctx.leaseTtlMs, ctx.downtimeMs),
        undo: once(async () => {
          disk.release();
          // As an operator would once space is back (`dms brokers log-dirs --online`).
          await bringLogDirOnline(ctx, leader, disk.dir);
        }),
      };
    }
  }
}

/**
 * Asks broker `id` to take its log dir `dir` back online (RecoverLogDir, as the dev cluster's
 * operator). A dir that never went offline answers "online"; a failure is reported, not thrown:
 * the run goes on and its figures show the partition's state.
 */
async function bringLogDirOnline(ctx: FaultContext, id: number, dir: string): Promise<void> {
  const reg = ctx.view.broker(id);
  if (!reg) {
    process.stderr.write(`chaos: broker ${id} is not registered; log dir ${dir} left as it is\n`);
    return;
  }
  const admin = devAdminCertificate(ctx.cluster.dataDir);
  const tls = admin ? loadInternalTls({ ca: admin.ca, cert: admin.cert, key: admin.key }) : undefined;
  const client = createClient(StorageServiceClient, `${reg.host}:${reg.port}`, { tls, tracing: false });
  try {
    const res = await unary(client.recoverLogDir.bind(client), { logDir: dir }, { timeoutMs: 10_000 });
    if (res.errorCode !== ErrorCode.NONE) process.stderr.write(`chaos: broker ${id} kept ${dir} offline: ${res.errorMessage}\n`);
  } catch (err) {
    process.stderr.write(`chaos: could not ask broker ${id} to bring ${dir} online: ${(err as Error).message}\n`);
  } finally {
    client.close();
  }
}
