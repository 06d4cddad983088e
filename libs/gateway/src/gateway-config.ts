import { commonConfig, defineConfig } from '@dms/platform';

/** Gateway settings, named as Kafka names them where Kafka has the setting. */
export const gatewayConfigDef = defineConfig({
  ...commonConfig,
  'node.id': { type: 'int', required: true, min: 0, doc: 'Node id clients see for this gateway (Kafka node.id).' },
  listeners: { type: 'string', default: 'PLAINTEXT://127.0.0.1:9092', doc: 'Kafka listener, LISTENER://host:port.' },
  'advertised.listeners': { type: 'string', default: '', doc: 'Address advertised in Metadata; defaults to listeners.' },
  'broker.rack': { type: 'string', default: '', doc: 'Rack of this gateway; partitions prefer a gateway in the storage leader\'s rack.' },
  'socket.request.max.bytes': { type: 'int', default: 104857600, min: 1024, doc: 'Largest request frame accepted; bigger closes the connection.' },
  'auto.create.topics.enable': { type: 'bool', default: true, doc: 'Create unknown topics named in Metadata requests.' },
  'message.max.bytes': { type: 'int', default: 1048588, min: 1, doc: 'Largest record batch accepted (topic max.message.bytes overrides).' },
  'max.in.flight.requests.per.connection': { type: 'int', default: 1000, min: 1, doc: 'Pipelined requests read ahead per connection.' },
});

/** Parses `PLAINTEXT://host:port` (one listener for now). */
export function parseListener(spec: string): { name: string; host: string; port: number } {
  const m = /^([A-Z_]+):\/\/\[?([^\]]*)\]?:(\d+)$/.exec(spec.split(',')[0].trim());
  if (!m) throw new Error(`invalid listener '${spec}': expected NAME://host:port`);
  return { name: m[1], host: m[2] || '0.0.0.0', port: Number(m[3]) };
}
