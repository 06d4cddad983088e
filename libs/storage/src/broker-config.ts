import { groupConfigDef } from '@dms/groups';
import { commonConfig, defineConfig } from '@dms/platform';

/** Storage broker settings, named as Kafka names them where Kafka has the setting. */
export const brokerConfigDef = defineConfig({
  ...commonConfig,
  ...groupConfigDef,
  'broker.id': { type: 'int', required: true, min: 0, doc: 'Storage broker id (Kafka broker.id).' },
  'grpc.host': { type: 'string', default: '127.0.0.1', doc: 'Address the gRPC storage service binds and advertises.' },
  'grpc.port': { type: 'int', default: 0, min: 0, max: 65535, doc: 'gRPC port; 0 picks a free one.' },
  'log.dirs': { type: 'string', default: '', doc: 'Directory holding partition logs (default ./data/broker-<id>).' },
  'broker.rack': { type: 'string', default: '', doc: 'Rack (availability zone) of this broker.' },
  'log.segment.bytes': { type: 'int', default: 1073741824, min: 1024, doc: 'Segment size before a new segment is rolled.' },
  'log.index.interval.bytes': { type: 'int', default: 4096, min: 1, doc: 'Bytes of log between offset index entries.' },
  'message.max.bytes': { type: 'int', default: 1048588, min: 1, doc: 'Largest record batch accepted.' },
  'log.flush.policy': { type: 'enum', values: ['never', 'always'], default: 'never', doc: 'fsync after every append (always) or leave flushing to the OS (never, Kafka\'s default).' },
});
