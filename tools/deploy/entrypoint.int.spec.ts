// deploy/k8s/base/scripts/entrypoint.sh run by sh as a pod would run it, with a stand-in `node`
// on PATH that prints what it was started with: the id is the pod's ordinal, the certificate that
// id's, and a pod name without an ordinal or a missing certificate stops it with a clear message.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@dms/testing';

const SCRIPT = join(repoRoot(), 'deploy', 'k8s', 'base', 'scripts', 'entrypoint.sh');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dms-entrypoint-'));
  writeFileSync(join(dir, 'node'), '#!/bin/sh\necho "args=$*"\nenv | grep ^DMS_ | sort\n');
  chmodSync(join(dir, 'node'), 0o755);
  for (const f of ['broker-2.pem', 'gateway-0.pem', 'ca.pem']) writeFileSync(join(dir, f), 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(hostname: string, role: string) {
  const r = spawnSync('sh', [SCRIPT, role], { encoding: 'utf8', timeout: 10_000, env: { PATH: `${dir}:/usr/bin:/bin`, HOSTNAME: hostname, DMS_CERTS_DIR: dir } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

it('starts the role with the ordinal as its id and that id’s certificate', () => {
  const r = run('dms-broker-2', 'broker');
  expect(r.code).toBe(0);
  expect(r.out.split('\n')).toEqual(
    expect.arrayContaining([
      'args=--initial-old-space-size=128 dist/apps/broker/main.js', // decisions 0042, 0043
      'DMS_BROKER_ID=2',
      `DMS_INTERNAL_SSL_CA_LOCATION=${dir}/ca.pem`,
      `DMS_INTERNAL_SSL_CERTIFICATE_LOCATION=${dir}/broker-2.pem`,
      `DMS_INTERNAL_SSL_KEY_LOCATION=${dir}/broker-2-key.pem`,
    ]),
  );
  expect(r.out).not.toContain('DMS_NODE_ID');
  const g = run('dms-gateway-0', 'gateway');
  expect([g.code, g.out.includes('DMS_NODE_ID=0')]).toEqual([0, true]);
  expect(g.out).toContain('args=--initial-old-space-size=64 dist/apps/gateway/main.js');
});

it('refuses a pod name without an ordinal, an unknown role and a missing certificate', () => {
  expect(run('dms-broker', 'broker')).toMatchObject({ code: 2, err: expect.stringContaining('has no StatefulSet ordinal') });
  expect(run('dms-x-1', 'etcd')).toMatchObject({ code: 2, err: expect.stringContaining("unknown role 'etcd'") });
  expect(run('dms-controller-1', 'controller')).toMatchObject({ code: 2, err: expect.stringContaining('no certificate controller-1.pem') });
});
