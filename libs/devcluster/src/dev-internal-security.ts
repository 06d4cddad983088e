import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureInternalCa, ensureServiceCert, internalSslConfig, type InternalRole, type ServiceCertFiles } from './internal-certs';

/** Where a dev cluster keeps its internal CA and service certificates. */
export function internalCertsDir(dataDir: string): string {
  return join(dataDir, 'certs', 'internal');
}

/**
 * The internal.* config of one dev-cluster service. With SSL (the default) the cluster's own
 * internal CA (made on first use, kept across restarts) issues the service a certificate naming
 * dms://<role>/<id> and `hosts` (every address the dev cluster hands this process). PLAINTEXT
 * passes the explicit opt-out, which each service warns about at start.
 */
export function devInternalSecurityConfig(
  dataDir: string,
  protocol: 'SSL' | 'PLAINTEXT',
  role: InternalRole,
  id: number,
  hosts: readonly string[] = ['127.0.0.1', 'localhost'],
): Record<string, string> {
  if (protocol === 'PLAINTEXT') return { 'internal.security.protocol': 'PLAINTEXT' };
  const ca = ensureInternalCa(internalCertsDir(dataDir));
  return { 'internal.security.protocol': 'SSL', ...internalSslConfig(ensureServiceCert(ca, role, id, hosts)) };
}

/**
 * The operator certificate (dms://admin/0) of a dev cluster, for maintenance RPCs the CLI calls
 * directly (`dms brokers log-dirs --online`); made from the cluster's internal CA on first use.
 * Undefined when the data dir holds no internal CA key (a PLAINTEXT or foreign cluster).
 */
export function devAdminCertificate(dataDir: string): ServiceCertFiles | undefined {
  const dir = internalCertsDir(dataDir);
  if (!existsSync(join(dir, 'ca.pem')) || !existsSync(join(dir, 'ca-key.pem'))) return undefined;
  return ensureServiceCert(ensureInternalCa(dir), 'admin', 0, ['localhost']);
}

/**
 * The web console's certificate (dms://console/0) of a dev cluster, beside admin-0: the console
 * and `dms messages` use it for the message query RPC. Undefined like devAdminCertificate.
 */
export function devConsoleCertificate(dataDir: string): ServiceCertFiles | undefined {
  const dir = internalCertsDir(dataDir);
  if (!existsSync(join(dir, 'ca.pem')) || !existsSync(join(dir, 'ca-key.pem'))) return undefined;
  return ensureServiceCert(ensureInternalCa(dir), 'console', 0, ['localhost']);
}
