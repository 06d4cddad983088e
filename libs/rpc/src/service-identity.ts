import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';

/**
 * The roles DMS services play towards each other; each certificate names exactly one. `admin` is
 * an operator's tool (the CLI) calling a service's maintenance RPCs; no service runs as it.
 * `console` is the web console reading what operators browse (message query).
 */
export const SERVICE_ROLES = ['gateway', 'broker', 'controller', 'admin', 'console'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

/** Who a service certificate says its holder is. */
export interface ServiceIdentity {
  role: ServiceRole;
  id: number;
}

/**
 * A service certificate carries its identity as one SAN URI `dms://<role>/<id>`, e.g.
 * `dms://broker/3`, issued by the internal CA. Kafka client certificates have no such URI.
 */
export const IDENTITY_SCHEME = 'dms';

export function identityUri(identity: ServiceIdentity): string {
  return `${IDENTITY_SCHEME}://${identity.role}/${identity.id}`;
}

const URI = /^dms:\/\/(gateway|broker|controller|admin|console)\/(\d{1,9})$/;

/** The identity in a certificate's subjectAltName text (Node's "URI:dms://broker/3, IP Address:..." form). */
export function identityFromSubjectAltName(san: string | undefined): ServiceIdentity | undefined {
  if (!san) return undefined;
  const found: ServiceIdentity[] = [];
  for (const entry of san.split(/,\s*/)) {
    if (!entry.startsWith('URI:')) continue;
    const m = URI.exec(entry.slice(4));
    if (m) found.push({ role: m[1] as ServiceRole, id: Number(m[2]) });
  }
  // Two identities in one certificate would let its holder pick the one that suits; refuse it.
  return found.length === 1 ? found[0] : undefined;
}

/** The identity of a PEM certificate, or undefined when it names none (or more than one). */
export function identityOfPem(pem: Buffer | string): ServiceIdentity | undefined {
  return identityFromSubjectAltName(new X509Certificate(pem).subjectAltName);
}

export function describeIdentity(identity: ServiceIdentity | undefined): string {
  return identity ? `${identity.role} ${identity.id}` : 'a peer without a DMS service identity';
}

/**
 * Server verification for internal gRPC: the chain was already checked against the internal CA;
 * instead of the host name (a service may listen on any loopback or pod address), the server must
 * present a broker or controller identity. One function object, so grpc-js can share subchannels
 * between clients with equal credentials.
 */
export function checkServiceServerIdentity(host: string, cert: PeerCertificate): Error | undefined {
  const identity = identityFromSubjectAltName(cert.subjectaltname);
  if (identity && (identity.role === 'broker' || identity.role === 'controller')) return undefined;
  return new Error(`internal TLS: the server at ${host} presents no broker or controller identity (a SAN URI dms://<role>/<id>)`);
}
