import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/**
 * The roles of DMS services (the `dms://<role>/<id>` SAN URI of each service certificate), and
 * `admin` for an operator's tool calling maintenance RPCs.
 */
export type InternalRole = 'gateway' | 'broker' | 'controller' | 'admin' | 'console';

export interface InternalCertFiles {
  dir: string;
  ca: string;
  caKey: string;
}

export interface ServiceCertFiles {
  ca: string;
  cert: string;
  key: string;
}

/** The three `internal.ssl.*` keys pointing at a service's files. */
export function internalSslConfig(files: ServiceCertFiles): Record<string, string> {
  return {
    'internal.ssl.ca.location': files.ca,
    'internal.ssl.certificate.location': files.cert,
    'internal.ssl.key.location': files.key,
  };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * The internal CA under `dir` (ca.pem, ca-key.pem), made once with the openssl binary (EC P-256)
 * and kept on later calls. It signs service certificates only: Kafka clients get theirs from a
 * different CA, so neither kind is accepted where the other belongs.
 */
export function ensureInternalCa(dir: string): InternalCertFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = { dir, ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem') };
  // A CA certificate whose key was moved away (as it should be on servers) is kept as it is.
  if (!existsSync(files.ca)) {
    openssl(['req', '-x509', ...EC, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '3650', '-subj', '/O=dms/CN=dms internal CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    chmodSync(files.caKey, 0o600);
  }
  return files;
}

/** SAN entries for the hosts a service may be reached at (IP addresses or DNS names). */
function hostSans(hosts: readonly string[]): string[] {
  return [...new Set(hosts)].map((h) => {
    if (isIP(h)) return `IP:${h}`;
    if (!/^[A-Za-z0-9.*-]+$/.test(h)) throw new Error(`invalid host name '${h}' for a certificate`);
    return `DNS:${h}`;
  });
}

/**
 * `<role>-<id>.pem` and its key under the CA's dir, signed by the internal CA, carrying the SAN URI
 * dms://<role>/<id> (what peers authorise by) and the given hosts. Clients check a server by its
 * role, not its address, so `hosts` is informational and a kept certificate stays valid when a
 * service moves to another address. Gateways only call (clientAuth); brokers and controllers
 * also serve (serverAuth). Existing files are kept.
 */
export function ensureServiceCert(ca: InternalCertFiles, role: InternalRole, id: number, hosts: readonly string[] = ['127.0.0.1', 'localhost']): ServiceCertFiles {
  if (!Number.isInteger(id) || id < 0) throw new Error(`invalid ${role} id ${id}`);
  const name = `${role}-${id}`;
  const files = { ca: ca.ca, cert: join(ca.dir, `${name}.pem`), key: join(ca.dir, `${name}-key.pem`) };
  if (existsSync(files.cert) && existsSync(files.key)) return files;
  if (!existsSync(ca.caKey)) throw new Error(`cannot issue ${name}: the internal CA key ${ca.caKey} is missing (put it back to add services)`);
  const san = [`URI:dms://${role}/${id}`, ...hostSans(hosts)].join(',');
  const eku = role === 'gateway' || role === 'admin' || role === 'console' ? 'clientAuth' : 'serverAuth,clientAuth';
  const ext = join(ca.dir, `${name}.ext`);
  const csr = join(ca.dir, `${name}.csr`);
  writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=${eku}\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n`);
  try {
    openssl(['req', ...EC, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/O=dms/OU=${role}/CN=${name}`], ca.dir);
    chmodSync(files.key, 0o600);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}.pem`, '-days', '825', '-extfile', `${name}.ext`], ca.dir);
  } finally {
    rmSync(ext, { force: true });
    rmSync(csr, { force: true });
  }
  return files;
}

/** The internal CA plus one certificate per service, as `dms certs create` and the dev cluster make them. */
export function createInternalCerts(dir: string, services: readonly { role: InternalRole; id: number }[], hosts?: readonly string[]): { ca: InternalCertFiles; services: (ServiceCertFiles & { role: InternalRole; id: number })[] } {
  const ca = ensureInternalCa(dir);
  return { ca, services: services.map((s) => ({ ...s, ...ensureServiceCert(ca, s.role, s.id, hosts) })) };
}
