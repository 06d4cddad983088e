import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { identityOfPem } from '@dms/rpc';
import { register } from './certs';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dms-certs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<string> {
  let out = '';
  const program = new Command('dms').exitOverride();
  register(program, { lines: async function* () {}, out: (s: string) => void (out += s), err: () => undefined });
  await program.parseAsync(['node', 'dms', ...args]);
  return out;
}

describe('dms certs create', () => {
  it('issues one certificate per service from one internal CA, each naming its role and id', async () => {
    const out = await run(['certs', 'create', '--dir', dir, '--controllers', '1', '--brokers', '1,2', '--gateways', '1', '--hosts', '10.0.0.5,broker.example', '--json']);
    const made = JSON.parse(out) as { ca: string; services: { role: string; id: number; cert: string; key: string }[] };
    expect(made.services.map((s) => `${s.role}-${s.id}`)).toEqual(['controller-1', 'broker-1', 'broker-2', 'gateway-1']);
    const ca = new X509Certificate(readFileSync(made.ca));
    for (const s of made.services) {
      const pem = readFileSync(s.cert);
      expect(identityOfPem(pem)).toEqual({ role: s.role, id: s.id });
      const cert = new X509Certificate(pem);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.subjectAltName).toContain('IP Address:10.0.0.5');
      expect(cert.subjectAltName).toContain('DNS:broker.example');
      expect(statSync(s.key).mode & 0o077).toBe(0);
    }
    expect(statSync(join(dir, 'ca-key.pem')).mode & 0o077).toBe(0);
  });

  it('issues web console certificates (dms://console/<id>) for client authentication', async () => {
    const out = await run(['certs', 'create', '--dir', dir, '--consoles', '0', '--json']);
    const made = JSON.parse(out) as { services: { role: string; id: number; cert: string }[] };
    expect(made.services.map((s) => `${s.role}-${s.id}`)).toEqual(['console-0']);
    const pem = readFileSync(made.services[0]!.cert);
    expect(identityOfPem(pem)).toEqual({ role: 'console', id: 0 });
    expect(new X509Certificate(pem).keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('keeps existing files when run again', async () => {
    await run(['certs', 'create', '--dir', dir, '--brokers', '1']);
    const before = readFileSync(join(dir, 'broker-1.pem'), 'utf8');
    await run(['certs', 'create', '--dir', dir, '--brokers', '1,2']);
    expect(readFileSync(join(dir, 'broker-1.pem'), 'utf8')).toBe(before);
    expect(identityOfPem(readFileSync(join(dir, 'broker-2.pem')))).toEqual({ role: 'broker', id: 2 });
  });
});
