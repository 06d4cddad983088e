import type { ServiceRole } from './service-process';

/** Where each process of a dev cluster listens (and, with distinct addresses, connects from). */
export interface ClusterAddresses {
  etcd: string;
  of(role: ServiceRole, id: number): string;
}

export const SHARED_LOOPBACK = '127.0.0.1';

/** The roles that make up the cluster (the console only talks to it). */
export type ClusterRole = Exclude<ServiceRole, 'console'>;
export type ClusterCounts = Record<ClusterRole, number> & { console?: number };

/** Every process on 127.0.0.1 (the default dev cluster). */
export const sharedAddresses: ClusterAddresses = { etcd: SHARED_LOOPBACK, of: () => SHARED_LOOPBACK };

/**
 * One loopback address per process, in a /24 of 127.0.0.0/8 (`subnet` as three octets, default
 * 127.0.0): etcd .2, then the controllers, the brokers and the gateways in id order. The kernel
 * routes all of 127.0.0.0/8 to lo, so nothing needs configuring; a packet filter can then cut any
 * pair apart. 127.0.0.1 stays free for tools and clients outside the cluster. This is the one place
 * that decides the addresses (certificates for them are issued from the same list).
 */
export function distinctAddresses(counts: ClusterCounts, subnet = '127.0.0'): ClusterAddresses {
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(subnet) || subnet.split('.').some((o) => Number(o) > 255)) {
    throw new Error(`distinct addresses need a subnet of 127.0.0.0/8 given as three octets (e.g. 127.0.0), not '${subnet}'`);
  }
  const first: Record<ClusterRole, number> = { controller: 3, broker: 3 + counts.controller, gateway: 3 + counts.controller + counts.broker };
  const last = first.gateway + counts.gateway - 1;
  if (last > 254) throw new Error(`${last - 2} processes do not fit one /24 of loopback addresses`);
  return {
    etcd: `${subnet}.2`,
    of(role, id) {
      // The console is a client of the cluster, not part of it: it stays on 127.0.0.1 with the tools.
      if (role === 'console') return SHARED_LOOPBACK;
      if (id < 1 || id > counts[role]) throw new Error(`no ${role} ${id} in this dev cluster`);
      return `${subnet}.${first[role] + id - 1}`;
    },
  };
}

/** Every address of the cluster, etcd first (for certificate SANs). */
export function allAddresses(addresses: ClusterAddresses, counts: ClusterCounts): string[] {
  const out = new Set([addresses.etcd]);
  for (const role of ['controller', 'broker', 'gateway'] as const) for (let id = 1; id <= counts[role]; id++) out.add(addresses.of(role, id));
  return [...out];
}
