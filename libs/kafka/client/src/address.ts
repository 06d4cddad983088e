export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port` (IPv6 as `[::1]:9092`); a missing port means Kafka's 9092. */
export function parseHostPort(text: string, defaultPort = 9092): HostPort {
  const s = text.trim();
  if (s === '') throw new Error('empty broker address');
  let host = s;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
  } else if (s.indexOf(':') === s.lastIndexOf(':') && s.includes(':')) {
    host = s.slice(0, s.indexOf(':'));
    portText = s.slice(s.indexOf(':') + 1);
  }
  if (host === '') throw new Error(`bad broker address '${text}'`);
  if (portText === undefined) return { host, port: defaultPort };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new Error(`bad port in broker address '${text}'`);
  return { host, port };
}

/** A comma-separated bootstrap list, as Kafka tools take it. */
export function parseBootstrapServers(text: string | readonly string[]): HostPort[] {
  const items = typeof text === 'string' ? text.split(',') : text.flatMap((t) => t.split(','));
  const out = items.map((t) => t.trim()).filter((t) => t !== '').map((t) => parseHostPort(t));
  if (out.length === 0) throw new Error('no bootstrap servers given');
  return out;
}
