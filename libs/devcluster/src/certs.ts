import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  dir: string;
  ca: string;
  caKey: string;
  /** Server certificate for 127.0.0.1/localhost (every service shares it). */
  serverCert: string;
  serverKey: string;
  /** Client certificates by common name. */
  clients: Record<string, { cert: string; key: string }>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A throwaway CA plus a server certificate (SAN 127.0.0.1, localhost) and client certificates
 * (subject CN=<name>,O=dms) under `dir`, made with the openssl binary. Existing files are kept,
 * so a restarted dev cluster keeps trusting the same CA.
 */
export function generateCerts(dir: string, clientNames: readonly string[] = []): CertFiles {
  mkdirSync(dir, { recursive: true });
  const files: CertFiles = { dir, ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'), serverCert: join(dir, 'server.pem'), serverKey: join(dir, 'server-key.pem'), clients: {} };
  if (!existsSync(files.ca)) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '3650', '-subj', '/O=dms/CN=dms dev CA'], dir);
  }
  const issue = (name: string, subject: string, ext: string) => {
    const cert = join(dir, `${name}.pem`);
    const key = join(dir, `${name}-key.pem`);
    if (existsSync(cert) && existsSync(key)) return { cert, key };
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', subject], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}.pem`, '-days', '825', '-extfile', `${name}.ext`], dir);
    return { cert, key };
  };
  issue('server', '/O=dms/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  for (const n of clientNames) {
    if (!/^[A-Za-z0-9._-]+$/.test(n)) throw new Error(`invalid client certificate name '${n}'`);
    files.clients[n] = issue(`client-${n}`, `/O=dms/CN=${n}`, 'extendedKeyUsage=clientAuth\n');
  }
  return files;
}
