// `npm ci` refuses a lockfile that lacks any optional dependency of a locked package, even one
// for another platform; this keeps the lockfile installable everywhere (images, users' CI).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockedPackage {
  version?: string;
  optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(join(__dirname, '../../package-lock.json'), 'utf8')) as {
  lockfileVersion: number;
  packages: Record<string, LockedPackage>;
};

/** Where npm resolves `dep` from the package at `path`: its own node_modules, then each parent's. */
function resolveLocked(path: string, dep: string): LockedPackage | undefined {
  let base = path;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${dep}`;
    if (lock.packages[candidate]) return lock.packages[candidate];
    if (!base) return undefined;
    const idx = base.lastIndexOf('node_modules/');
    base = idx <= 0 ? '' : base.slice(0, idx - 1);
  }
}

describe('package-lock.json', () => {
  it('is a v3 lockfile that names no registry host', () => {
    expect(lock.lockfileVersion).toBe(3);
    const text = readFileSync(join(__dirname, '../../package-lock.json'), 'utf8');
    expect(text).not.toMatch(/"resolved":\s*"https?:/);
  });

  it('locks every optional dependency of every package, for all platforms', () => {
    const missing: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
        if (!resolveLocked(path, dep)) missing.push(`${path || '(root)'} -> ${dep}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
