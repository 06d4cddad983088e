import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const committed = join(__dirname, 'generated');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('generated gRPC code', () => {
  it('is exactly what proto/ generates (regenerate with tools/build/gen-proto.sh)', () => {
    const out = mkdtempSync(join(tmpdir(), 'dms-proto-'));
    try {
      execFileSync('bash', [join(root, 'tools', 'build', 'gen-proto.sh'), out], { stdio: 'pipe' });
      const expected = files(committed).map((f) => relative(committed, f)).sort();
      const actual = files(out).map((f) => relative(out, f)).sort();
      expect(actual).toEqual(expected);
      for (const f of expected) {
        expect({ file: f, text: readFileSync(join(out, f), 'utf8') }).toEqual({ file: f, text: readFileSync(join(committed, f), 'utf8') });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
