import type { ApiSchema } from './descriptor';
import { apiSchemas } from './generated/registry';

export * from './descriptor';
export * from './generated';

const byKey: ReadonlyArray<ApiSchema | undefined> = (() => {
  const table: (ApiSchema | undefined)[] = [];
  for (const s of apiSchemas) table[s.apiKey] = s;
  return table;
})();

/** The schema of an API key, or undefined for keys this build does not know. */
export function apiSchema(apiKey: number): ApiSchema | undefined {
  return Number.isInteger(apiKey) ? byKey[apiKey] : undefined;
}
