import { readFileSync } from 'node:fs';
import type { TlsOptions } from 'node:tls';

export interface TlsFileConfig {
  keyLocation: string;
  keyPassword: string;
  certificateLocation: string;
  caLocation: string;
  keystoreType: string;
  keystoreLocation: string;
  keystorePassword: string;
  truststoreLocation: string;
  clientAuth: 'none' | 'requested' | 'required';
}

/**
 * Server TLS options from Kafka-named settings: PEM key/certificate/CA paths, or a keystore
 * (PKCS12, or PEM holding key and certificate). Undefined when no key material is configured.
 */
export function serverTlsOptions(c: TlsFileConfig): TlsOptions | undefined {
  const out: TlsOptions = { minVersion: 'TLSv1.2' };
  if (c.keyLocation || c.certificateLocation) {
    if (!c.keyLocation || !c.certificateLocation) throw new Error('ssl.key.location and ssl.certificate.location go together');
    out.key = readFileSync(c.keyLocation);
    out.cert = readFileSync(c.certificateLocation);
    if (c.keyPassword) out.passphrase = c.keyPassword;
  } else if (c.keystoreLocation) {
    if (c.keystoreType === 'PEM') {
      const pem = readFileSync(c.keystoreLocation);
      out.key = pem;
      out.cert = pem;
    } else {
      out.pfx = readFileSync(c.keystoreLocation);
    }
    if (c.keystorePassword) out.passphrase = c.keystorePassword;
  } else {
    return undefined;
  }
  const ca = c.caLocation || c.truststoreLocation;
  if (ca) out.ca = readFileSync(ca);
  return out;
}

/** Adds client-certificate settings for an SSL listener (SASL_SSL listeners never ask). */
export function withClientAuth(base: TlsOptions, clientAuth: TlsFileConfig['clientAuth']): TlsOptions {
  if (clientAuth === 'none') return base;
  if (!base.ca) throw new Error(`ssl.client.auth=${clientAuth} needs ssl.ca.location (or ssl.truststore.location)`);
  // 'requested' accepts clients without (or with unverified) certificates; the connection then
  // only trusts a certificate the handshake verified.
  return { ...base, requestCert: true, rejectUnauthorized: clientAuth === 'required' };
}
