// kubernetes-models' validate() checks types and required fields but lets unknown fields through
// (a misspelt `replica:` would pass, and the API server would drop it). This walks each object
// along the models' own type declarations and reports every field the API does not define, as
// `kubectl apply --validate=strict` would.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Shape {
  /** Property name to the shape of its value (undefined: a leaf, not walked). */
  props: Map<string, { file?: string; array: boolean }>;
}

const cache = new Map<string, Shape | undefined>();

/** The .d.ts of a module path as the models import it. */
function declarationOf(module: string, from?: string): string {
  const js = module.startsWith('.') && from ? join(dirname(from), module) : require.resolve(module).replace(/\.js$/, '');
  return `${js.replace(/\.d\.ts$/, '')}.d.ts`;
}

/** The first interface a declaration file exports: its properties and where their types are declared. */
function shapeOf(file: string): Shape | undefined {
  if (cache.has(file)) return cache.get(file);
  const text = readFileSync(file, 'utf8');
  const imports = new Map<string, string>();
  for (const [, name, path] of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) imports.set(name!, path!);
  const body = /^export interface \w+(?: extends \w+)? \{\n([\s\S]*?)^\}/m.exec(text)?.[1];
  let shape: Shape | undefined;
  if (body !== undefined) {
    shape = { props: new Map() };
    // One line per property; a map type ({ [key: string]: ... }) opens a block and is a leaf.
    for (const [, prop, type] of body.matchAll(/^ {4}"([^"]+)"\??: (.+?);?$/gm)) {
      const m = /^(Array<)?(\w+)>?$/.exec(type!);
      const path = m ? imports.get(m[2]!) : undefined;
      shape.props.set(prop!, path ? { file: declarationOf(path, file), array: Boolean(m![1]) } : { array: false });
    }
  }
  cache.set(file, shape);
  return shape;
}

/** The declaration file of a top-level kind: kubernetes-models/<group>/<version>/<Kind> (core: v1/<Kind>). */
export function modelDeclaration(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return declarationOf(group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`);
}

/** Every field path of `value` that the type declared in `file` does not define. */
export function unknownFields(value: unknown, file: string, path = ''): string[] {
  const shape = shapeOf(file);
  if (!shape || typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const prop = shape.props.get(key);
    const here = path ? `${path}.${key}` : key;
    if (!prop) {
      out.push(here);
      continue;
    }
    if (!prop.file) continue;
    if (prop.array && Array.isArray(v)) v.forEach((item, i) => out.push(...unknownFields(item, prop.file!, `${here}[${i}]`)));
    else out.push(...unknownFields(v, prop.file, here));
  }
  return out;
}
