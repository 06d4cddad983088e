// deploy/ is never run here (no container engine), so it is checked against the services' own
// config definitions: every variable it sets must exist, and the README must document every key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envName, type ConfigDef } from '@dms/platform';
import { controllerConfigDef } from '@dms/controller';
import { brokerConfigDef } from '@dms/storage';
import { gatewayConfigDef } from '@dms/gateway';
import { SERVICE_NODE_FLAGS, type ServiceRole } from './service-process';

const DEPLOY = join(__dirname, '..', '..', '..', 'deploy');
const defs: Record<string, ConfigDef> = { controller: controllerConfigDef, broker: brokerConfigDef, gateway: gatewayConfigDef };
const read = (f: string) => readFileSync(join(DEPLOY, f), 'utf8');
const vars = (text: string) => new Set(text.match(/DMS_[A-Z0-9_]+/g) ?? []);
const known = (role: string) => new Set(Object.keys(defs[role]).map((k) => envName(k)));

describe('deploy/', () => {
  it.each(Object.keys(defs))('%s.Dockerfile sets only variables the %s reads and runs its bundle', (role) => {
    const file = read(`${role}.Dockerfile`);
    for (const v of vars(file)) expect([role, v, known(role).has(v)]).toEqual([role, v, true]);
    // The image starts node with the flags a dev cluster gives the role (decision 0042).
    const argv = ['node', ...(SERVICE_NODE_FLAGS[role as ServiceRole] ?? []), `dist/apps/${role}/main.js`];
    expect(file).toContain(`CMD [${argv.map((a) => `"${a}"`).join(', ')}]`);
    expect(file).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
    expect(file).toContain(`node tools/build/build.mjs ${role}`);
  });

  // compose.yaml is checked by tools/deploy/compose.spec.ts (parsed as YAML, console and monitoring included).

  it('README documents every key of every service with its variable', () => {
    const readme = read('README.md');
    for (const def of Object.values(defs)) {
      for (const key of Object.keys(def)) expect([key, readme.includes(`| \`${envName(key)}\` | \`${key}\` |`)]).toEqual([key, true]);
    }
  });
});
