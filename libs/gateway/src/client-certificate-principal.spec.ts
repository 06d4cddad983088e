import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureInternalCa, ensureServiceCert, generateCerts } from '@dms/devcluster';
import { clientCertificatePrincipal } from './kafka-connection';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dms-principal-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Kafka principal of a client certificate', () => {
  it('is User:<subject> for a Kafka client certificate', () => {
    const kafka = generateCerts(join(dir, 'kafka'), ['alice']);
    expect(clientCertificatePrincipal(new X509Certificate(readFileSync(kafka.clients.alice.cert)))).toBe('User:CN=alice,O=dms');
  });

  it('is ANONYMOUS for a DMS service certificate, whatever its subject', () => {
    const ca = ensureInternalCa(join(dir, 'internal'));
    const broker = ensureServiceCert(ca, 'broker', 1);
    expect(clientCertificatePrincipal(new X509Certificate(readFileSync(broker.cert)))).toBe('User:ANONYMOUS');
  });
});
