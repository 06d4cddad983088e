import { internalCertsDir, type InternalRole } from '@dms/devcluster';
import { loadInternalTls, type InternalTls } from '@dms/rpc';
import { join } from 'node:path';

/**
 * The internal mTLS material of one service of a test cluster (its role certificate from the
 * cluster's internal CA), for specs that call a broker or controller over gRPC as that service.
 */
export function serviceTls(dataDir: string, role: InternalRole, id: number): InternalTls {
  return loadInternalTls(serviceTlsFiles(dataDir, role, id))!;
}

/** The paths of that material, for a CLI's --internal-ssl-* flags. */
export function serviceTlsFiles(dataDir: string, role: InternalRole, id: number): { ca: string; cert: string; key: string } {
  const dir = internalCertsDir(dataDir);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, `${role}-${id}.pem`), key: join(dir, `${role}-${id}-key.pem`) };
}
