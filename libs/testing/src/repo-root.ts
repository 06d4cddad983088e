import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The workspace root (the directory holding nx.json), found from this file, so specs work from any cwd. */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no nx.json above ${from}`);
    dir = up;
  }
}

/** dist/apps of this workspace (the bundles of `node tools/build/build.mjs`). */
export function distAppsDir(): string {
  return join(repoRoot(), 'dist', 'apps');
}
