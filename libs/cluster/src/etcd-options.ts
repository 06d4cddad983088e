import { readFileSync } from 'node:fs';
import type { IOptions } from 'etcd3';

export interface EtcdSecurityConfig {
  'etcd.endpoints': readonly string[];
  'etcd.tls.ca.location'?: string;
  'etcd.tls.certificate.location'?: string;
  'etcd.tls.key.location'?: string;
  'etcd.username'?: string;
  'etcd.password'?: string;
}

/** etcd3 client options from the common etcd.* keys: https and (mutual) TLS, user/password. */
export function etcdClientOptions(c: EtcdSecurityConfig): IOptions {
  const ca = c['etcd.tls.ca.location'];
  const cert = c['etcd.tls.certificate.location'];
  const key = c['etcd.tls.key.location'];
  const scheme = ca ? 'https' : 'http';
  const opts: IOptions = { hosts: c['etcd.endpoints'].map((e) => (e.includes('://') ? e : `${scheme}://${e}`)) };
  if (ca) {
    opts.credentials = {
      rootCertificate: readFileSync(ca),
      ...(cert && key ? { certChain: readFileSync(cert), privateKey: readFileSync(key) } : {}),
    };
  }
  if (c['etcd.username']) opts.auth = { username: c['etcd.username'], password: c['etcd.password'] ?? '' };
  return opts;
}
