import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { KafkaClient, type KafkaClientOptions, type SaslCredentials } from '@dms/kafka-client';
import type { ConfigOf } from '@dms/platform';
import type { consoleConfigDef } from '@dms/console-config';

export type ConsoleConfig = ConfigOf<typeof consoleConfigDef>;

/** How the console reaches the cluster; the user's SASL credentials are added per session. */
export interface KafkaTarget {
  bootstrapServers: string[];
  /** True when the listener speaks SASL: every user logs in. */
  saslRequired: boolean;
  mechanism: SaslCredentials['mechanism'];
  tls?: TlsConnectionOptions;
  requestTimeoutMs: number;
}

export function kafkaTarget(config: ConsoleConfig): KafkaTarget {
  const protocol = config['security.protocol'];
  let tls: TlsConnectionOptions | undefined;
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    tls = {};
    if (config['ssl.ca.location']) tls.ca = readFileSync(config['ssl.ca.location']);
    if (config['ssl.certificate.location']) tls.cert = readFileSync(config['ssl.certificate.location']);
    if (config['ssl.key.location']) tls.key = readFileSync(config['ssl.key.location']);
    if (config['ssl.endpoint.identification.algorithm'] === '') tls.checkServerIdentity = () => undefined;
  }
  return {
    bootstrapServers: config['bootstrap.servers'],
    saslRequired: protocol.startsWith('SASL_'),
    mechanism: config['sasl.mechanism'],
    tls,
    requestTimeoutMs: config['request.timeout.ms'],
  };
}

/** A client of the cluster as one user (or anonymous when the listener has no SASL). */
export function openClient(target: KafkaTarget, user?: { username: string; password: string }): KafkaClient {
  const options: KafkaClientOptions = {
    bootstrapServers: target.bootstrapServers,
    clientId: 'dms-console',
    requestTimeoutMs: target.requestTimeoutMs,
    connectTimeoutMs: Math.min(10_000, target.requestTimeoutMs),
    ...(target.tls ? { tls: target.tls } : {}),
    ...(user ? { sasl: { mechanism: target.mechanism, username: user.username, password: user.password } } : {}),
  };
  return new KafkaClient(options);
}
