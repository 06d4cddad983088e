import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { startEtcd } from './etcd-process';

describe('startEtcd', () => {
  it('starts a real etcd that stores and returns a key, and stops it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dms-etcd-'));
    const etcd = await startEtcd({ dataDir: dir });
    const client = new Etcd3({ hosts: `http://${etcd.endpoint}` });
    try {
      await client.put('/probe').value('yes');
      expect(await client.get('/probe').string()).toBe('yes');
    } finally {
      client.close();
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(etcd.child.exitCode !== null || etcd.child.signalCode !== null).toBe(true);
  }, 30_000);
});
