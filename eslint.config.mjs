// Lint exists for one rule: module boundaries. Apps compose libs; libs never import apps;
// the protocol libs import nothing with I/O; each service's libs stay out of the others'.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const typeConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:protocol', 'type:infra'] },
  { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:protocol', 'type:infra'] },
  { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:infra', 'type:protocol'] },
  { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:protocol'] },
  // The harness drives whole clusters; only specs may import it (no other tag lists type:testing).
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['*'] },
];
const scopeConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
  { sourceTag: 'scope:broker', onlyDependOnLibsWithTags: ['scope:broker', 'scope:shared'] },
  { sourceTag: 'scope:controller', onlyDependOnLibsWithTags: ['scope:controller', 'scope:shared'] },
  { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:cli', 'scope:shared'] },
  { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:console', 'scope:shared'] },
  { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['*'] },
];

const boundaries = (depConstraints) => ({
  '@nx/enforce-module-boundaries': ['error', { allow: [], enforceBuildableLibDependency: false, depConstraints }],
});

export default [
  { ignores: ['dist/**', 'node_modules/**', 'tmp/**', '.dms/**', '.nx/**', '**/generated/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@nx': nx, '@typescript-eslint': tseslint.plugin },
    rules: boundaries([...typeConstraints, ...scopeConstraints]),
  },
  {
    // Specs may reach across scopes and use the test harness: they test the whole system.
    files: ['**/*.spec.ts', 'apps/*/test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
