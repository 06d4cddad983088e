import { commonConfig, defineConfig } from '@dms/platform';

/** Gateway settings, named as Kafka names them where Kafka has the setting. */
export const gatewayConfigDef = defineConfig({
  ...commonConfig,
  'node.id': { type: 'int', required: true, min: 0, doc: 'Node id clients see for this gateway (Kafka node.id).' },
  listeners: { type: 'string', default: 'PLAINTEXT://127.0.0.1:9092', doc: 'Kafka listeners, NAME://host:port[,NAME://host:port...]; port 0 picks a free port.' },
  'advertised.listeners': { type: 'string', default: '', doc: 'Addresses advertised in Metadata per listener name; defaults to listeners.' },
  'listener.security.protocol.map': {
    type: 'string',
    default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    doc: 'Listener name to security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL).',
  },
  'sasl.enabled.mechanisms': { type: 'list', default: 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN', doc: 'SASL mechanisms offered on SASL listeners (PLAIN checks passwords against the SCRAM credentials).' },
  'ssl.key.location': { type: 'string', default: '', doc: 'PEM private key of the TLS listeners.' },
  'ssl.key.password': { type: 'string', default: '', doc: 'Passphrase of ssl.key.location, if encrypted.' },
  'ssl.certificate.location': { type: 'string', default: '', doc: 'PEM certificate (chain) of the TLS listeners.' },
  'ssl.ca.location': { type: 'string', default: '', doc: 'PEM CA bundle that client certificates must chain to.' },
  'ssl.keystore.type': { type: 'enum', values: ['PEM', 'PKCS12'], default: 'PKCS12', doc: 'Type of ssl.keystore.location (PEM: key and certificate in one file).' },
  'ssl.keystore.location': { type: 'string', default: '', doc: 'Keystore with key and certificate (alternative to ssl.key/certificate.location).' },
  'ssl.keystore.password': { type: 'string', default: '', doc: 'Keystore password.' },
  'ssl.truststore.type': { type: 'enum', values: ['PEM', 'PKCS12'], default: 'PEM', doc: 'Type of ssl.truststore.location (only PEM is read).' },
  'ssl.truststore.location': { type: 'string', default: '', doc: 'PEM CA bundle (alternative to ssl.ca.location).' },
  'ssl.client.auth': { type: 'enum', values: ['none', 'requested', 'required'], default: 'none', doc: 'Client certificates on SSL listeners; the certificate subject becomes the principal User:CN=...' },
  'authorizer.class.name': { type: 'string', default: '', doc: 'Any non-empty value enables ACL authorization.' },
  'super.users': { type: 'string', default: '', doc: 'Principals allowed everything, separated by ";" (User:admin;User:CN=ops).' },
  'allow.everyone.if.no.acl.found': { type: 'bool', default: false, doc: 'With an authorizer: whether a resource without any ACL is open to all.' },
  'connections.max.idle.ms': { type: 'int', default: 600000, min: 100, doc: 'Connections idle this long are closed.' },
  'connections.max.unauthenticated.ms': { type: 'int', default: 10000, min: 100, doc: 'SASL connections not authenticated within this time are closed.' },
  'connection.failed.authentication.delay.ms': { type: 'int', default: 100, min: 0, doc: 'Delay before a failed login is answered.' },
  'connection.failed.authentication.delay.max.ms': {
    type: 'int', default: 5000, min: 0,
    doc: 'Cap of the failed-login delay: each failed login from a client address doubles that address\'s delay from connection.failed.authentication.delay.ms up to this.',
  },
  'sasl.server.max.receive.size': {
    type: 'int', default: 524288, min: 1024,
    doc: 'Largest frame accepted before a connection has authenticated (SASL listeners) or sent its first well-formed request (PLAINTEXT/SSL listeners).',
  },
  'max.connections': { type: 'int', default: 2147483647, min: 0, doc: 'Client connections over all listeners; a connection over the limit is closed at once.' },
  'telemetry.max.bytes': { type: 'int', default: 1048576, min: 1, doc: 'Largest client telemetry push (KIP-714 PushTelemetry metrics, as compressed); larger ones get TELEMETRY_TOO_LARGE.' },
  'client.telemetry.max.series.per.client': { type: 'int', default: 2000, min: 0, doc: 'Series of pushed client metrics kept per client instance for /metrics; the rest of a push is dropped.' },
  'client.telemetry.max.series': { type: 'int', default: 100000, min: 0, doc: 'Series of pushed client metrics kept over all clients for /metrics.' },
  'max.connections.per.ip': { type: 'int', default: 2147483647, min: 0, doc: 'Client connections per client address; a connection over the limit is closed at once.' },
  'max.connections.per.ip.overrides': { type: 'string', default: '', doc: 'Per-address limits replacing max.connections.per.ip, host:count[,host:count...].' },
  'broker.rack': { type: 'string', default: '', doc: 'Rack of this gateway; partitions prefer a gateway in the storage leader\'s rack.' },
  'socket.request.max.bytes': { type: 'int', default: 104857600, min: 1024, doc: 'Largest request frame accepted; bigger closes the connection.' },
  'auto.create.topics.enable': { type: 'bool', default: true, doc: 'Create unknown topics named in Metadata requests.' },
  'message.max.bytes': { type: 'int', default: 1048588, min: 1, doc: 'Largest record batch accepted (topic max.message.bytes overrides).' },
  'max.in.flight.requests.per.connection': { type: 'int', default: 1000, min: 1, doc: 'Pipelined requests read ahead per connection.' },
  'max.in.flight.request.bytes.per.connection': {
    type: 'int', default: 104857600, min: 1024,
    doc: 'Reading a connection pauses while its requests awaiting answers hold this many bytes (one request is always admitted).',
  },
  'produce.coalesce.enable': {
    type: 'bool',
    default: true,
    doc: 'Send the produce requests bound for one storage broker in one event-loop turn as one gRPC message (ProduceBatch); false sends each alone (Produce).',
  },
  'internal.stream.transport': {
    type: 'enum',
    values: ['grpc', 'framed'],
    default: 'framed',
    doc: 'How ProduceBatch and consumer Fetch reach the storage brokers: framed (the gRPC messages framed on Node http2 directly, decisions 0033 and 0042; Fetch answers gathered into pooled buffers reused once the Kafka response is written) or grpc (grpc-js); brokers answer either.',
  },
});

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
}

export interface ListenerConfig extends ListenerSpec {
  protocol: SecurityProtocol;
  /** Advertised address; port 0 means "the port actually bound". */
  advertisedHost: string;
  advertisedPort: number;
}

/** Parses `NAME://host:port` (the first entry when several are given). */
export function parseListener(spec: string): ListenerSpec {
  return parseListenerList(spec)[0];
}

/** Parses Kafka's comma-separated `NAME://host:port` list; names must be unique. */
export function parseListenerList(spec: string): ListenerSpec[] {
  const out: ListenerSpec[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_]+):\/\/\[?([^\]]*)\]?:(\d+)$/.exec(raw);
    if (!m || Number(m[3]) > 65535) throw new Error(`invalid listener '${raw}': expected NAME://host:port`);
    const name = m[1].toUpperCase();
    if (out.some((l) => l.name === name)) throw new Error(`listener name ${name} appears twice`);
    out.push({ name, host: m[2] || '0.0.0.0', port: Number(m[3]) });
  }
  if (out.length === 0) throw new Error('no listener configured');
  return out;
}

export function parseProtocolMap(spec: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, proto] = entry.split(':').map((s) => s.trim().toUpperCase());
    if (!name || !PROTOCOLS.includes(proto as SecurityProtocol)) throw new Error(`invalid listener.security.protocol.map entry '${entry}'`);
    map.set(name, proto as SecurityProtocol);
  }
  return map;
}

/** Resolves listeners, their protocols and advertised addresses as Kafka does. */
export function resolveListeners(listeners: string, advertised: string, protocolMap: string): ListenerConfig[] {
  const map = parseProtocolMap(protocolMap);
  const adv = new Map((advertised ? parseListenerList(advertised) : []).map((l) => [l.name, l]));
  return parseListenerList(listeners).map((l) => {
    const protocol = map.get(l.name) ?? (PROTOCOLS.includes(l.name as SecurityProtocol) ? (l.name as SecurityProtocol) : undefined);
    if (!protocol) throw new Error(`listener ${l.name} has no entry in listener.security.protocol.map`);
    const a = adv.get(l.name);
    const host = a?.host ?? l.host;
    return {
      ...l,
      protocol,
      advertisedHost: host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host,
      advertisedPort: a?.port ?? 0,
    };
  });
}

/** The ready-line field naming a listener's port: SASL_SSL -> saslSslPort. */
export function listenerPortField(name: string): string {
  const camel = name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return `${camel}Port`;
}
