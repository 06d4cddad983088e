// Renders a kustomization the way `kubectl apply -k` would, for the features deploy/k8s uses
// (resources, namespace, labels, replicas, strategic-merge patches, ConfigMap/Secret generators),
// so the manifests can be checked without kustomize or a cluster. A field it does not know is an
// error: the renderer must grow before the manifests use something new.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { strategicMerge, type Json } from './strategic-merge';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: Json | K8sObject['metadata'];
}

/** A file a generator reads: where it is and whether it is there (certificates are not committed). */
export interface GeneratedFile {
  generator: string;
  key: string;
  path: string;
  present: boolean;
}

export interface Rendering {
  objects: K8sObject[];
  generatedFiles: GeneratedFile[];
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'replicas', 'patches', 'configMapGenerator', 'secretGenerator']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'PriorityClass']);

/** Every YAML document of a file, empty ones dropped; a syntax error throws with the file name. */
export function readYamlDocuments(file: string): Json[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: Json[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    const v = d.toJS() as Json;
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

export function renderKustomization(dir: string): Rendering {
  const file = join(dir, 'kustomization.yaml');
  const [k] = readYamlDocuments(file) as Array<Record<string, any>>;
  if (!k || k.kind !== 'Kustomization') throw new Error(`${file}: not a Kustomization`);
  for (const field of Object.keys(k)) if (!KNOWN_FIELDS.has(field)) throw new Error(`${file}: field '${field}' is not understood by this renderer`);
  const objects: K8sObject[] = [];
  const generatedFiles: GeneratedFile[] = [];

  for (const res of (k.resources ?? []) as string[]) {
    const path = join(dir, res);
    if (statSync(path).isDirectory()) {
      const sub = renderKustomization(path);
      objects.push(...sub.objects);
      generatedFiles.push(...sub.generatedFiles);
    } else {
      for (const doc of readYamlDocuments(path)) objects.push(asObject(doc, path));
    }
  }
  for (const [kind, gens] of [['ConfigMap', k.configMapGenerator], ['Secret', k.secretGenerator]] as const) {
    for (const gen of (gens ?? []) as Array<{ name: string; files?: string[]; literals?: string[] }>) {
      const data: Record<string, string> = {};
      for (const spec of gen.files ?? []) {
        const [key, rel] = spec.includes('=') ? spec.split('=', 2) as [string, string] : [basename(spec), spec];
        const path = join(dir, rel);
        const present = existsSync(path);
        generatedFiles.push({ generator: `${kind}/${gen.name}`, key, path: relative(dir, path), present });
        data[key] = present ? readFileSync(path, 'utf8') : '';
      }
      for (const lit of gen.literals ?? []) {
        const eq = lit.indexOf('=');
        data[lit.slice(0, eq)] = lit.slice(eq + 1);
      }
      objects.push({ apiVersion: 'v1', kind, metadata: { name: gen.name }, [kind === 'Secret' ? 'stringData' : 'data']: data, ...(kind === 'Secret' ? { type: 'Opaque' } : {}) });
    }
  }
  for (const p of (k.patches ?? []) as Array<{ path?: string; patch?: string; target?: unknown }>) {
    if (!p.path || p.target !== undefined || p.patch !== undefined) throw new Error(`${file}: only strategic-merge patch files (patches: - path: ...) are understood`);
    const path = join(dir, p.path);
    for (const doc of readYamlDocuments(path)) {
      const patch = asObject(doc, path);
      const i = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (i < 0) throw new Error(`${path}: patches ${patch.kind}/${patch.metadata.name}, which the resources do not define`);
      objects[i] = strategicMerge(objects[i] as unknown as Json, patch as unknown as Json) as unknown as K8sObject;
    }
  }
  for (const r of (k.replicas ?? []) as Array<{ name: string; count: number }>) {
    const targets = objects.filter((o) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(o.kind) && o.metadata.name === r.name);
    if (targets.length === 0) throw new Error(`${file}: replicas for ${r.name}, which no workload is`);
    for (const t of targets) (t.spec as Record<string, Json>).replicas = r.count;
  }
  for (const l of (k.labels ?? []) as Array<{ pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }>) {
    if (l.includeSelectors || l.includeTemplates) throw new Error(`${file}: labels with includeSelectors/includeTemplates are not understood`);
    for (const o of objects) o.metadata = { ...o.metadata, labels: { ...(o.metadata.labels ?? {}), ...l.pairs } };
  }
  if (k.namespace) {
    for (const o of objects) {
      if (!CLUSTER_SCOPED.has(o.kind)) o.metadata = { ...o.metadata, namespace: k.namespace };
      if (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') {
        for (const s of (o.subjects ?? []) as Array<Record<string, string>>) if (s.kind === 'ServiceAccount') s.namespace = k.namespace;
      }
    }
  }
  return { objects, generatedFiles };
}

function asObject(doc: Json, file: string): K8sObject {
  const o = doc as unknown as K8sObject;
  if (typeof o !== 'object' || !o || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
    throw new Error(`${file}: a document without apiVersion, kind and metadata.name`);
  }
  return structuredClone(o);
}
