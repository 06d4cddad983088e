import { configureInternalTls, loadInternalTls } from './tls';
import { describeIdentity, identityOfPem, identityUri, type ServiceIdentity } from './service-identity';
import { setDenialLogger, type DenialLogger } from './authorize';

/** The `internal.*` keys every service declares (libs/platform commonConfig). */
export interface InternalSecurityConfig {
  readonly 'internal.security.protocol': 'SSL' | 'PLAINTEXT';
  readonly 'internal.ssl.ca.location': string;
  readonly 'internal.ssl.certificate.location': string;
  readonly 'internal.ssl.key.location': string;
}

export const PLAINTEXT_RISK =
  'internal.security.protocol=PLAINTEXT: the gRPC ports of brokers and controllers accept anyone who can reach them; ' +
  'a direct call can write records past ACLs and CRC checks, move high watermarks and change topics, ACLs and credentials. ' +
  'Use it only where nothing but DMS services can reach these ports.';

/**
 * Sets this process's internal TLS from its config, or refuses to start: SSL (the default) needs
 * the CA, certificate and key, and the certificate must name this very service. PLAINTEXT runs
 * without and says so at every start. Throws an Error whose message is meant for the operator.
 */
export function setupInternalSecurity(config: InternalSecurityConfig, self: ServiceIdentity, logger: DenialLogger & { info(obj: object, msg: string): void }): void {
  setDenialLogger(logger);
  if (config['internal.security.protocol'] === 'PLAINTEXT') {
    configureInternalTls(undefined);
    logger.warn({ risk: PLAINTEXT_RISK }, 'INTERNAL TRAFFIC IS NOT AUTHENTICATED (internal.security.protocol=PLAINTEXT)');
    return;
  }
  const tls = loadInternalTls({ ca: config['internal.ssl.ca.location'], cert: config['internal.ssl.certificate.location'], key: config['internal.ssl.key.location'] });
  if (!tls) {
    throw new Error(
      'internal.security.protocol=SSL (the default) needs internal.ssl.ca.location, internal.ssl.certificate.location and internal.ssl.key.location; ' +
        'create an internal CA and service certificates with `dms certs create`, or set internal.security.protocol=PLAINTEXT to run unauthenticated (unsafe)',
    );
  }
  let identity: ServiceIdentity | undefined;
  try {
    identity = identityOfPem(tls.cert);
  } catch (e) {
    throw new Error(`internal.ssl.certificate.location is not a PEM certificate: ${(e as Error).message}`);
  }
  if (!identity || identity.role !== self.role || identity.id !== self.id) {
    throw new Error(
      `internal.ssl.certificate.location names ${describeIdentity(identity)}, but this process is ${describeIdentity(self)}; ` +
        `its certificate needs the SAN URI ${identityUri(self)} (\`dms certs create\` makes one)`,
    );
  }
  configureInternalTls(tls);
  logger.info({ identity: identityUri(identity) }, 'internal gRPC over mutual TLS');
}
