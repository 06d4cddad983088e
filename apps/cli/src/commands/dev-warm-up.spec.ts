import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterJson, ProcessRecord } from '@dms/devcluster';
import { warmUpTarget } from './dev-warm-up';

function gateway(ports: Record<string, number>): ProcessRecord {
  return { role: 'gateway', id: 1, pid: 10, address: '127.0.0.7', state: 'running', ports, command: [], env: {}, cwd: '.', logFile: 'g.log' };
}

function status(processes: ProcessRecord[], security?: unknown): ClusterJson {
  return {
    clusterName: 'dms',
    bootstrap: '127.0.0.1:9092',
    state: 'running',
    dataDir: '.',
    etcd: { endpoint: 'http://127.0.0.1:2379', address: '127.0.0.1', pid: 1, clientPort: 2379, peerPort: 2380, dataDir: 'etcd', logFile: 'etcd.log' },
    processes,
    ...(security ? { security } : {}),
  } as ClusterJson;
}

describe('warmUpTarget', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'dms-warm-up-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a plain cluster: the bootstrap listener, no security', () => {
    expect(warmUpTarget(status([gateway({ kafkaPort: 9092 })]), 3)).toEqual({ bootstrap: '127.0.0.1:9092', security: {}, brokers: 3 });
  });

  it('a secure cluster: gateway 1 SASL_SSL listener as the admin of its properties file', () => {
    const props = join(dir, 'admin.properties');
    writeFileSync(props, 'security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=admin\nsasl.password=pw\n');
    const t = warmUpTarget(status([gateway({ kafkaPort: 9092, saslSslPort: 9094 })], { admin: { user: 'admin', commandConfig: props } }), 1);
    expect(t.bootstrap).toBe('127.0.0.7:9094');
    expect(t.brokers).toBe(1);
    expect(t.security.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'pw' });
    expect(t.security.tls).toBeTruthy();
  });
});
