// Kubernetes strategic-merge patches, for the fields DMS's overlays use: maps merge key by key (a
// null deletes), lists of named things merge by their merge key (as the API's patchMergeKey says),
// every other list is replaced whole.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** The list fields that merge item by item, and the key that identifies an item. */
const MERGE_KEYS: Record<string, string | ((item: Obj) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  topologySpreadConstraints: 'topologyKey',
  // Container ports merge on containerPort, Service ports on port.
  ports: (item) => ('containerPort' in item ? 'containerPort' : 'port'),
};

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `base` with `patch` applied; neither is modified. */
export function strategicMerge(base: Json | undefined, patch: Json, field = ''): Json {
  if (isObj(patch)) {
    const out: Obj = isObj(base) ? { ...base } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = strategicMerge(out[k], v, k);
    }
    return out;
  }
  if (Array.isArray(patch) && Array.isArray(base) && MERGE_KEYS[field] !== undefined) return mergeList(base, patch, MERGE_KEYS[field]);
  return structuredClone(patch);
}

/**
 * The patch's items first, in the patch's order (each merged with its base item), then the base
 * items the patch does not name: the order kustomize produces. It matters for env, where
 * $(VAR) only expands variables defined earlier in the list.
 */
function mergeList(base: Json[], patch: Json[], key: string | ((item: Obj) => string)): Json[] {
  const out: Json[] = [];
  const used = new Set<number>();
  for (const item of patch) {
    if (!isObj(item)) return structuredClone(patch);
    const k = typeof key === 'string' ? key : key(item);
    const at = base.findIndex((b) => isObj(b) && b[k] === item[k]);
    if (at >= 0) used.add(at);
    out.push(at >= 0 ? strategicMerge(base[at], item) : structuredClone(item));
  }
  base.forEach((b, i) => {
    if (!used.has(i)) out.push(b);
  });
  return out;
}
