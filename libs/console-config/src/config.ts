import { commonConfig, defineConfig } from '@dms/platform';

/** Every setting of the console process (flags, DMS_* environment, --help). */
export const consoleConfigDef = defineConfig({
  'console.id': { type: 'int', default: 1, min: 0, doc: 'Id of this console process (several may run behind a load balancer).' },
  'console.host': { type: 'string', default: '127.0.0.1', doc: 'Address the console\'s HTTP(S) server binds.' },
  'console.port': { type: 'int', default: 8080, min: 0, max: 65535, doc: 'Port of the console\'s HTTP(S) server; 0 picks a free one.' },
  'console.ssl.certificate.location': { type: 'string', default: '', doc: 'PEM certificate: when set (with console.ssl.key.location) the console serves HTTPS.' },
  'console.ssl.key.location': { type: 'string', default: '', doc: 'PEM key of console.ssl.certificate.location.' },
  'console.session.timeout.ms': { type: 'int', default: 3_600_000, min: 10_000, doc: 'A login session (and its Kafka connections) ends after this long without a request.' },
  'console.sampling.interval.ms': { type: 'int', default: 5000, min: 200, doc: 'How often the console samples end offsets and group lag for its charts.' },
  'console.sampling.points': { type: 'int', default: 720, min: 2, max: 100_000, doc: 'Samples kept per chart series (an in-memory ring).' },
  'console.key.scan.max.bytes': { type: 'int', default: 64 * 1024 * 1024, min: 1024, doc: 'Bytes a find-by-key search reads per request before it stops and reports how far it got.' },
  // Find-by-key through the brokers' key index: the console finds partition leaders in etcd and
  // asks them over internal gRPC with its own dms://console/<id> certificate. Without etcd
  // endpoints, find-by-key is a bounded scan through Fetch (console.key.scan.max.bytes).
  'etcd.endpoints': { type: 'list', default: '', doc: 'etcd endpoints (host:port, comma-separated) of the cluster: set them to serve find-by-key from the brokers\' key index; empty scans through Fetch instead.' },
  'cluster.name': commonConfig['cluster.name'],
  'etcd.tls.ca.location': commonConfig['etcd.tls.ca.location'],
  'etcd.tls.certificate.location': commonConfig['etcd.tls.certificate.location'],
  'etcd.tls.key.location': commonConfig['etcd.tls.key.location'],
  'internal.security.protocol': commonConfig['internal.security.protocol'],
  'internal.ssl.ca.location': commonConfig['internal.ssl.ca.location'],
  'internal.ssl.certificate.location': { type: 'string', default: '', doc: 'PEM certificate naming dms://console/<id> (dms certs create --consoles), presented to the brokers for key-index queries.' },
  'internal.ssl.key.location': commonConfig['internal.ssl.key.location'],
  'bootstrap.servers': { type: 'list', default: '127.0.0.1:9092', doc: 'Kafka listener(s) of the cluster (host:port, comma-separated).' },
  'security.protocol': {
    type: 'enum',
    values: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'],
    default: 'PLAINTEXT',
    doc: 'Protocol of the Kafka listener. With SASL_* every user logs in with their own SASL username and password and the cluster\'s ACLs decide what they see; otherwise there is no login.',
  },
  'sasl.mechanism': { type: 'enum', values: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], default: 'SCRAM-SHA-512', doc: 'SASL mechanism the console logs users in with.' },
  'ssl.ca.location': { type: 'string', default: '', doc: 'PEM CA that signed the Kafka listener\'s certificate (SSL, SASL_SSL).' },
  'ssl.certificate.location': { type: 'string', default: '', doc: 'PEM client certificate for a listener that requires one (ssl.client.auth=required).' },
  'ssl.key.location': { type: 'string', default: '', doc: 'PEM key of ssl.certificate.location.' },
  'ssl.endpoint.identification.algorithm': { type: 'string', default: 'https', doc: 'https checks the listener\'s host name against its certificate; empty turns the check off.' },
  'console.prometheus.url': { type: 'string', default: '', doc: 'Base URL of a Prometheus that scrapes the brokers (e.g. http://prometheus:9090): the throughput and lag charts query it (/api/v1/query_range); empty, or unreachable, falls back to the console\'s own sampling.' },
  'console.prometheus.range.ms': { type: 'int', default: 3_600_000, min: 60_000, doc: 'Time span the Prometheus-backed charts show, ending now.' },
  'console.prometheus.timeout.ms': { type: 'int', default: 5000, min: 100, doc: 'Time a Prometheus query may take before the chart falls back to the console\'s own sampling.' },
  'metrics.port': commonConfig['metrics.port'],
  'metrics.host': commonConfig['metrics.host'],
  'request.timeout.ms': { type: 'int', default: 30_000, min: 100, doc: 'Time a Kafka request may take.' },
  'log.level': { type: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info', doc: 'Minimum log level.' },
});
