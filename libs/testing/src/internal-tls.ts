import { internalCertsDir, type InternalRole } from '@dms/devcluster';
import { loadInternalTls, type InternalTls } from '@dms/rpc';
import { join } from 'node:path';

/**
 * The internal mTLS material of one service of a test cluster (its role certificate from the
 * cluster's internal CA), for specs that call a broker or controller over gRPC as that service.
 */
export function serviceTls(dataDir: string, role: InternalRole, id: number): InternalTls {
  const dir = internalCertsDir(dataDir);
  return loadInternalTls({ ca: join(dir, 'ca.pem'), cert: join(dir, `${role}-${id}.pem`), key: join(dir, `${role}-${id}-key.pem`) })!;
}
