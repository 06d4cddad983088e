// deploy/ is never run here (no container engine), so it is checked against the services' own
// config definitions: every variable it sets must exist, and the README must document every key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envName, type ConfigDef } from '@dms/platform';
import { controllerConfigDef } from '@dms/controller';
import { brokerConfigDef } from '@dms/storage';
import { gatewayConfigDef } from '@dms/gateway';

const DEPLOY = join(__dirname, '..', '..', '..', 'deploy');
const defs: Record<string, ConfigDef> = { controller: controllerConfigDef, broker: brokerConfigDef, gateway: gatewayConfigDef };
const read = (f: string) => readFileSync(join(DEPLOY, f), 'utf8');
const vars = (text: string) => new Set(text.match(/DMS_[A-Z0-9_]+/g) ?? []);
const known = (role: string) => new Set(Object.keys(defs[role]).map((k) => envName(k)));

describe('deploy/', () => {
  it.each(Object.keys(defs))('%s.Dockerfile sets only variables the %s reads and runs its bundle', (role) => {
    const file = read(`${role}.Dockerfile`);
    for (const v of vars(file)) expect([role, v, known(role).has(v)]).toEqual([role, v, true]);
    expect(file).toContain(`CMD ["node", "dist/apps/${role}/main.js"]`);
    expect(file).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
    expect(file).toContain(`node tools/build/build.mjs ${role}`);
  });

  it('compose.yaml gives each service only variables it reads, and every required id', () => {
    const compose = read('compose.yaml');
    const common = /x-dms-common:[^\n]*\n((?: {2}DMS_[^\n]*\n)+)/.exec(compose)![1];
    const blocks = compose.split(/\n {2}(?=[a-z]+-\d+:\n)/).slice(1);
    const seen: string[] = [];
    for (const block of blocks) {
      const [, role, id] = /^([a-z]+)-(\d+):/.exec(block)!;
      seen.push(`${role}-${id}`);
      for (const v of [...vars(block), ...vars(common)]) expect([role, v, known(role).has(v)]).toEqual([role, v, true]);
      const idVar = envName(role === 'controller' ? 'controller.id' : role === 'broker' ? 'broker.id' : 'node.id');
      expect(block).toContain(`${idVar}: "${id}"`);
    }
    expect(seen).toEqual(['controller-1', 'controller-2', 'controller-3', 'broker-1', 'broker-2', 'broker-3', 'gateway-1', 'gateway-2']);
    expect(compose).toContain('"9092:9092"');
    expect(compose).toContain('"9093:9093"');
  });

  it('README documents every key of every service with its variable', () => {
    const readme = read('README.md');
    for (const def of Object.values(defs)) {
      for (const key of Object.keys(def)) expect([key, readme.includes(`| \`${envName(key)}\` | \`${key}\` |`)]).toEqual([key, true]);
    }
  });
});
