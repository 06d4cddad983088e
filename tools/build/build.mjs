// Bundles each app (and the bench tool) into dist/ with esbuild. Our libs are inlined through the
// tsconfig path aliases; npm packages stay external so native codecs load from node_modules.
// Type checking is separate (`npm run typecheck`), which keeps this step well under a second.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entries = {
  'apps/controller/main': 'apps/controller/src/main.ts',
  'apps/broker/main': 'apps/broker/src/main.ts',
  'apps/gateway/main': 'apps/gateway/src/main.ts',
  'apps/cli/main': 'apps/cli/src/main.ts',
  'apps/console/main': 'apps/console/src/main.ts',
  'tools/bench/main': 'tools/bench/main.ts',
  'tools/bench/relay': 'tools/bench/relay.ts',
  'tools/bench/hostile': 'tools/bench/hostile.ts',
  'tools/chaos/main': 'tools/chaos/main.ts',
  'tools/compat/kafkajs-runner': 'tools/compat/kafkajs-runner.ts',
  'tools/compat/kcat-runner': 'tools/compat/kcat-runner.ts',
};
const only = process.argv.slice(2);
const entryPoints = {};
for (const [out, src] of Object.entries(entries)) {
  const name = out.split('/')[1];
  if (only.length && !only.includes(name)) continue;
  if (!existsSync(join(root, src))) {
    console.warn(`build: skipping ${src} (missing)`);
    continue;
  }
  entryPoints[out] = join(root, src);
}
await build({
  entryPoints,
  outdir: join(root, 'dist'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'linked',
  tsconfig: join(root, 'tsconfig.json'),
  logLevel: 'warning',
});

// The console's browser code: React and chart.js bundled into one script beside index.html.
const consoleWeb = join(root, 'apps/console/src/web');
if ((!only.length || only.includes('console')) && existsSync(join(consoleWeb, 'main.tsx'))) {
  const out = join(root, 'dist/apps/console/public');
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { app: join(consoleWeb, 'main.tsx') },
    outdir: out,
    bundle: true,
    platform: 'browser',
    target: 'es2020',
    format: 'iife',
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    tsconfig: join(root, 'apps/console/tsconfig.web.json'),
    logLevel: 'warning',
  });
  copyFileSync(join(consoleWeb, 'index.html'), join(out, 'index.html'));
  copyFileSync(join(consoleWeb, 'style.css'), join(out, 'style.css'));
}
