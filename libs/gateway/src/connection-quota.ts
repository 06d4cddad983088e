/**
 * Kafka's connection limits for one gateway: `max.connections` over all listeners and
 * `max.connections.per.ip` with `max.connections.per.ip.overrides` (`host:count,host:count`).
 * A connection over a limit is closed at once, before any byte of it is read.
 */
export interface ConnectionQuotaOptions {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Per-host limits that replace maxConnectionsPerIp for that host. */
  perIpOverrides?: ReadonlyMap<string, number>;
}

export type QuotaRefusal = 'max.connections' | 'max.connections.per.ip';

/** Parses `host:count[,host:count...]`; an IPv6 host is written in brackets or as all but the last ':'. */
export function parseIpOverrides(spec: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = raw.lastIndexOf(':');
    const host = normalizeHost(raw.slice(0, Math.max(at, 0)).replace(/^\[(.*)\]$/, '$1'));
    const count = Number(raw.slice(at + 1));
    if (at <= 0 || !host || !Number.isInteger(count) || count < 0) {
      throw new Error(`invalid max.connections.per.ip.overrides entry '${raw}': expected host:count`);
    }
    out.set(host, count);
  }
  return out;
}

/** '::ffff:1.2.3.4' and '1.2.3.4' are one client. */
export const normalizeHost = (host: string): string => host.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

export class ConnectionQuota {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(private readonly opts: ConnectionQuotaOptions) {}

  /** Counts a new connection from `host`, or says which limit refuses it (nothing counted then). */
  tryAcquire(host: string): QuotaRefusal | null {
    const ip = normalizeHost(host);
    if (this.total >= this.opts.maxConnections) return 'max.connections';
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.limitFor(ip)) return 'max.connections.per.ip';
    this.total++;
    this.perIp.set(ip, n + 1);
    return null;
  }

  release(host: string): void {
    const ip = normalizeHost(host);
    const n = this.perIp.get(ip) ?? 0;
    if (n <= 0) return;
    this.total--;
    if (n === 1) this.perIp.delete(ip);
    else this.perIp.set(ip, n - 1);
  }

  limitFor(host: string): number {
    return this.opts.perIpOverrides?.get(normalizeHost(host)) ?? this.opts.maxConnectionsPerIp;
  }

  get count(): number {
    return this.total;
  }

  countFor(host: string): number {
    return this.perIp.get(normalizeHost(host)) ?? 0;
  }
}
