import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePrivateFile } from './private-file';
import { secureDevOptions } from './secure-dev';

const mode = (p: string) => statSync(p).mode & 0o777;

describe('files holding secrets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dms-private-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are created 0600 and re-chmodded when they existed readable by others', () => {
    const p = join(dir, 'cluster.json');
    writeFileSync(p, 'old', { mode: 0o644 });
    expect(mode(p)).toBe(0o644);
    writePrivateFile(p, 'new', { atomic: true });
    expect(mode(p)).toBe(0o600);
    expect(readFileSync(p, 'utf8')).toBe('new');
    const q = join(dir, 'fresh.properties');
    writePrivateFile(q, 'x');
    expect(mode(q)).toBe(0o600);
  });

  it('dms dev up --secure keeps admin.properties 0600 and its password across restarts', () => {
    const props = join(dir, 'admin.properties');
    writeFileSync(props, 'sasl.password=kept-pw\n', { mode: 0o644 });
    const opts = secureDevOptions(dir);
    expect(mode(props)).toBe(0o600);
    expect(opts.scramUsers?.[0].password).toBe('kept-pw');
    expect(readFileSync(props, 'utf8')).toContain('sasl.password=kept-pw');
  });
});
