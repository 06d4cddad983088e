// What each DMS image runs and which DMS_* variables it reads, from the services' own config
// definitions: the manifests and compose.yaml are checked against these, never against a copy.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { envName, loadConfig, type ConfigDef } from '@dms/platform';
import { controllerConfigDef } from '@dms/controller';
import { brokerConfigDef } from '@dms/storage';
import { gatewayConfigDef } from '@dms/gateway';
import { consoleConfigDef } from '@dms/console-config';
import { repoRoot } from '@dms/testing';

export const ROOT = repoRoot();
export const DEPLOY = join(ROOT, 'deploy');

export type Role = 'controller' | 'broker' | 'gateway' | 'console';

export const CONFIG_DEFS: Record<Role, ConfigDef> = {
  controller: controllerConfigDef,
  broker: brokerConfigDef,
  gateway: gatewayConfigDef,
  console: consoleConfigDef,
};

/** The config key that carries each role's id. */
export const ID_KEY: Record<Role, string> = { controller: 'controller.id', broker: 'broker.id', gateway: 'node.id', console: 'console.id' };

/** The role an image runs: dms-<role>, the image deploy/<role>.Dockerfile builds. */
export function roleOfImage(image: string): Role | undefined {
  const m = /^dms-(controller|broker|gateway|console)(?::[\w.-]+)?$/.exec(image);
  return m ? (m[1] as Role) : undefined;
}

export function knownVariables(role: Role): Set<string> {
  return new Set(Object.keys(CONFIG_DEFS[role]).map((k) => envName(k)));
}

/** The variables of `env` a role does not read (DMS_* only; other names are not DMS settings). */
export function unknownVariables(role: Role, env: Iterable<string>): string[] {
  const known = knownVariables(role);
  return [...env].filter((v) => v.startsWith('DMS_') && !known.has(v));
}

/** Loads the role's config from these variables exactly as the service would; throws its ConfigError. */
export function loadAs(role: Role, env: Record<string, string>): Record<string, unknown> {
  return loadConfig(CONFIG_DEFS[role], [], env) as Record<string, unknown>;
}

/** The Dockerfile of a role, and whether its app exists in this checkout (apps/<role>). */
export function dockerfileOf(role: Role): { path: string; appExists: boolean; exists: boolean } {
  const path = join(DEPLOY, `${role}.Dockerfile`);
  return { path, appExists: existsSync(join(ROOT, 'apps', role, 'src', 'main.ts')), exists: existsSync(path) };
}
