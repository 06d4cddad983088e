// The console process on its own: --help, bad settings, and HTTPS with a certificate, where the
// login form is needed (a SASL listener) and the answers carry the security headers. No cluster is
// needed for these: nothing here opens a Kafka connection except the failed login.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCerts, type CertFiles } from '@dms/devcluster';
import { distAppsDir, runProcess } from '@dms/testing';

jest.setTimeout(60_000);

const MAIN = join(distAppsDir(), 'console', 'main.js');
let dir: string;
let certs: CertFiles;
let child: ChildProcess | undefined;
let port: number;

/** A port with nothing listening: the "cluster" the console cannot reach. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function get(path: string, method = 'GET', body?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, ca: require('node:fs').readFileSync(certs.ca), headers, timeout: 20_000 }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (d: string) => (data += d)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dms-console-https-'));
  certs = generateCerts(join(dir, 'certs'));
  child = spawn(process.execPath, [MAIN,
    '--console.port', '0', '--bootstrap.servers', `127.0.0.1:${await closedPort()}`, '--security.protocol', 'SASL_PLAINTEXT',
    '--console.ssl.certificate.location', certs.serverCert, '--console.ssl.key.location', certs.serverKey, '--request.timeout.ms', '3000'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ready line in 20 s: ${out}`)), 20_000);
    child!.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"msg":"ready"'));
      if (line) {
        const m = JSON.parse(line);
        clearTimeout(timer);
        expect(m.url).toBe(`https://127.0.0.1:${m.httpPort}/`);
        resolve(m.httpPort);
      }
    });
    child!.once('exit', (code) => reject(new Error(`console exited with ${code}: ${out}`)));
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
});

it('serves HTTPS with the security headers and asks for a login', async () => {
  const status = await get('/api/auth/status');
  expect(status.status).toBe(200);
  expect(JSON.parse(status.body)).toEqual({ loginRequired: true, user: null, mechanism: 'SCRAM-SHA-512' });
  expect(status.headers['x-frame-options']).toBe('DENY');
  expect(status.headers['cache-control']).toBe('no-store');
  expect(String(status.headers['content-security-policy'])).toContain("default-src 'self'");
  expect((await get('/api/topics')).status).toBe(401);
  const index = await get('/');
  expect(index.status).toBe(200);
  expect(index.body).toContain('<div id="root">');
});

it('answers a login it cannot check with a clear error, not a crash', async () => {
  const r = await get('/api/auth/login', 'POST', JSON.stringify({ username: 'a', password: 'b' }), { 'content-type': 'application/json', 'x-dms-console': '1' });
  expect(r.status).toBe(502);
  expect(JSON.parse(r.body).error).toMatch(/cannot reach the cluster|ECONNREFUSED|NETWORK/);
  expect((await get('/api/auth/status')).status).toBe(200);
});

it('documents its settings in --help and refuses bad ones', async () => {
  const help = await runProcess(process.execPath, [MAIN, '--help'], { timeoutMs: 20_000 });
  for (const key of ['console.port', 'bootstrap.servers', 'security.protocol', 'sasl.mechanism', 'ssl.ca.location', 'console.ssl.certificate.location']) {
    expect(help.stdout).toContain(`--${key} <`);
  }
  const bad = await runProcess(process.execPath, [MAIN, '--security.protocol', 'CARRIER_PIGEON'], { timeoutMs: 20_000 });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("invalid value 'CARRIER_PIGEON' for config 'security.protocol'");
  const half = await runProcess(process.execPath, [MAIN, '--console.ssl.certificate.location', certs.serverCert], { timeoutMs: 20_000 });
  expect(half.code).toBe(2);
  expect(half.stderr).toContain('go together');
});
