import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { checkServiceServerIdentity, identityOfPem, type ServiceIdentity } from './service-identity';

/** PEM material for mutual TLS between DMS services. */
export interface InternalTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

let processTls: InternalTls | undefined;
let processIdentity: ServiceIdentity | undefined;

/**
 * Sets the mutual-TLS material every gRPC client and server of this process uses unless told
 * otherwise. Each service's main calls it once from its config, so the libraries that create
 * channels (storage, controller, gateway) need no TLS plumbing of their own.
 */
export function configureInternalTls(tls: InternalTls | undefined): void {
  processTls = tls;
  processIdentity = tls ? identityOfPem(tls.cert) : undefined;
}

/** The identity in this process's own service certificate (undefined without internal TLS). */
export function serverIdentity(): ServiceIdentity | undefined {
  return processIdentity;
}

export function internalTls(): InternalTls | undefined {
  return processTls;
}

/** Reads `internal.ssl.*` style paths; undefined when none is set, an error when only some are. */
export function loadInternalTls(paths: { ca: string; cert: string; key: string }): InternalTls | undefined {
  const given = [paths.ca, paths.cert, paths.key].filter(Boolean).length;
  if (given === 0) return undefined;
  if (given !== 3) throw new Error('internal TLS needs a CA, a certificate and a key');
  return { ca: readFileSync(paths.ca), cert: readFileSync(paths.cert), key: readFileSync(paths.key) };
}

/** The TLS server name internal clients send (verification goes by role, see checkServiceServerIdentity). */
export const INTERNAL_SERVER_NAME = 'dms-internal';

/**
 * Clients verify the server's chain against the internal CA and its role (broker or controller)
 * in place of its host name, so any address a service listens on works.
 */
export function clientCredentials(tls: InternalTls | undefined = processTls): ChannelCredentials {
  return tls ? credentials.createSsl(tls.ca, tls.key, tls.cert, { checkServerIdentity: checkServiceServerIdentity }) : credentials.createInsecure();
}

/** Servers with TLS require and verify the client's certificate (mutual TLS). */
export function serverCredentials(tls: InternalTls | undefined = processTls): ServerCredentials {
  return tls ? ServerCredentials.createSsl(tls.ca, [{ private_key: tls.key, cert_chain: tls.cert }], true) : ServerCredentials.createInsecure();
}
