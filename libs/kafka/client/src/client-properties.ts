import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { ConnectionOptions, SaslCredentials } from './connection';

/** Parses a Java-style .properties file (key=value or key: value, # and ! comments, \ continuations). */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/\\\r?\n\s*/g, '').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** username/password out of a JAAS line: `...LoginModule required username="a" password="b";` */
function jaasCredentials(jaas: string): { username?: string; password?: string } {
  const get = (k: string) => new RegExp(`${k}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(jaas)?.[1]?.replace(/\\(.)/g, '$1');
  return { username: get('username'), password: get('password') };
}

/**
 * Connection security from Kafka client properties (the Java client's and librdkafka's names):
 * security.protocol, sasl.mechanism, sasl.jaas.config or sasl.username/sasl.password,
 * ssl.ca.location / ssl.truststore.location (PEM), ssl.certificate.location, ssl.key.location,
 * ssl.key.password, ssl.endpoint.identification.algorithm ('' turns hostname checks off).
 */
export function securityFromProperties(props: Record<string, string>): Pick<ConnectionOptions, 'tls' | 'sasl'> {
  const protocol = (props['security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) throw new Error(`unknown security.protocol ${protocol}`);
  const out: Pick<ConnectionOptions, 'tls' | 'sasl'> = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const tls: TlsConnectionOptions = {};
    const ca = props['ssl.ca.location'] ?? props['ssl.truststore.location'];
    if (ca) tls.ca = readFileSync(ca);
    if (props['ssl.certificate.location']) tls.cert = readFileSync(props['ssl.certificate.location']);
    if (props['ssl.key.location']) tls.key = readFileSync(props['ssl.key.location']);
    if (props['ssl.key.password']) tls.passphrase = props['ssl.key.password'];
    if (props['ssl.endpoint.identification.algorithm'] === '' || props['enable.ssl.certificate.verification'] === 'false') {
      tls.checkServerIdentity = () => undefined;
    }
    if (props['enable.ssl.certificate.verification'] === 'false') tls.rejectUnauthorized = false;
    out.tls = tls;
  }
  if (protocol.startsWith('SASL_')) {
    const mechanism = (props['sasl.mechanism'] ?? props['sasl.mechanisms'] ?? 'PLAIN').toUpperCase() as SaslCredentials['mechanism'];
    const jaas = props['sasl.jaas.config'] ? jaasCredentials(props['sasl.jaas.config']) : {};
    const username = props['sasl.username'] ?? jaas.username;
    const password = props['sasl.password'] ?? jaas.password;
    if (!username || password === undefined) throw new Error('SASL needs sasl.username/sasl.password or sasl.jaas.config');
    out.sasl = { mechanism, username, password };
  }
  return out;
}

/** Reads `--command-config FILE`; an empty path means a plaintext, anonymous client. */
export function securityFromFile(path: string | undefined): Pick<ConnectionOptions, 'tls' | 'sasl'> {
  return path ? securityFromProperties(parseProperties(readFileSync(path, 'utf8'))) : {};
}
