import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCerts } from './certs';
import { writePrivateFile } from './private-file';
import type { DevClusterOptions } from './dev-cluster';

/**
 * What `dms dev up --secure` adds to a dev cluster: a throwaway CA and certificates under
 * DATA/certs, SASL_SSL (SCRAM) and SSL (client certificate) listeners on every gateway beside
 * PLAINTEXT, the ACL authorizer with an `admin` super user (SCRAM-SHA-512, password kept in
 * DATA/admin.properties so restarts reuse it) and etcd over TLS with client certificates. (Mutual
 * TLS between services is on in every dev cluster, from a separate internal CA.)
 */
export function secureDevOptions(dataDir: string): Pick<DevClusterOptions, 'gatewayListeners' | 'scramUsers' | 'config' | 'security' | 'etcdTls'> & {
  /** The web console serves HTTPS with the dev server certificate (trust DATA/certs/ca.pem). */
  consoleHttps: { certFile: string; keyFile: string };
} {
  const certs = generateCerts(join(dataDir, 'certs'), ['admin']);
  const propsFile = join(dataDir, 'admin.properties');
  let password = randomBytes(12).toString('base64url');
  if (existsSync(propsFile)) password = /sasl\.password=(.*)/.exec(readFileSync(propsFile, 'utf8'))?.[1] ?? password;
  writePrivateFile(propsFile, [
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    'sasl.username=admin',
    `sasl.password=${password}`,
    `ssl.ca.location=${certs.ca}`,
    '',
  ].join('\n'));
  return {
    gatewayListeners: ['SASL_SSL', 'SSL'],
    // etcd over TLS, and only for holders of a certificate from the dev CA (the services use the
    // shared server certificate, which is also good for client authentication).
    etcdTls: { caFile: certs.ca, certFile: certs.serverCert, keyFile: certs.serverKey, clientCertAuth: true },
    scramUsers: [{ name: 'admin', password, mechanism: 'SCRAM-SHA-512' }],
    config: {
      gateway: {
        'ssl.key.location': certs.serverKey,
        'ssl.certificate.location': certs.serverCert,
        'ssl.ca.location': certs.ca,
        'ssl.client.auth': 'required',
        'authorizer.class.name': 'dms',
        'super.users': 'User:admin;User:CN=admin,O=dms',
        // The PLAINTEXT listener stays open for quick local tools; with the authorizer on, its
        // anonymous clients see only what ACLs grant User:ANONYMOUS.
      },
    },
    consoleHttps: { certFile: certs.serverCert, keyFile: certs.serverKey },
    security: {
      caFile: certs.ca,
      admin: { user: 'admin', password, mechanism: 'SCRAM-SHA-512', commandConfig: propsFile, certificate: certs.clients.admin.cert, key: certs.clients.admin.key },
      listenerPorts: 'processes[].ports: plaintextPort, saslSslPort, sslPort (gateways)',
    },
  };
}
