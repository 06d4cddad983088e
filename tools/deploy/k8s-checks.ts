// Consistency of a rendered set of Kubernetes objects, beyond what each object's schema says:
// references resolve, Services reach named ports, the DMS containers get only variables their
// service reads (and values it accepts), probes and scrape annotations point at real ports.
// Each check returns the problems it found, one sentence each; an empty list is a pass.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as models from 'kubernetes-models';
import type { K8sObject } from './kustomize';
import { modelDeclaration, unknownFields } from './strict-fields';
import { ID_KEY, loadAs, roleOfImage, unknownVariables, type Role } from './service-configs';

type Any = Record<string, any>;
const SANE_MODES = new Set([0o400, 0o440, 0o444, 0o500, 0o550, 0o555]);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

export const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
export const workloads = (objs: K8sObject[]) => objs.filter((o) => WORKLOADS.has(o.kind));
const podSpec = (w: K8sObject): Any => (w.spec as Any).template.spec;
const podLabels = (w: K8sObject): Record<string, string> => (w.spec as Any).template.metadata?.labels ?? {};
const containersOf = (w: K8sObject): Any[] => [...(podSpec(w).initContainers ?? []), ...podSpec(w).containers];
const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Validates each object against the Kubernetes OpenAPI schema of its apiVersion and kind (kubernetes-models), unknown fields included. */
export function schemaProblems(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const o of objs) {
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    const groupKey = group === '' ? 'v1' : group.replace(/\.([a-z])/g, (_, c: string) => c.toUpperCase());
    const ns = (models as Any)[groupKey];
    const Model = (group === '' ? ns : ns?.[version!])?.[o.kind];
    if (!Model) {
      problems.push(`${id(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      problems.push(`${id(o)}: ${(err as Error).message}`);
    }
    for (const field of unknownFields(o, modelDeclaration(o.apiVersion, o.kind))) problems.push(`${id(o)}: unknown field ${field}`);
  }
  return problems;
}

/** Every Secret, ConfigMap, ServiceAccount, headless Service, HPA target and PDB selector names something that exists. */
export function referenceProblems(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  const need = (w: K8sObject, kind: string, name: string | undefined, what: string) => {
    if (name && !find(objs, kind, name)) problems.push(`${id(w)}: ${what} ${kind}/${name} does not exist`);
  };
  for (const w of workloads(objs)) {
    const spec = podSpec(w);
    need(w, 'ServiceAccount', spec.serviceAccountName, 'service account');
    for (const v of spec.volumes ?? []) {
      need(w, 'Secret', v.secret?.secretName, `volume ${v.name}:`);
      need(w, 'ConfigMap', v.configMap?.name, `volume ${v.name}:`);
    }
    for (const c of containersOf(w)) {
      for (const e of c.envFrom ?? []) {
        need(w, 'ConfigMap', e.configMapRef?.name, `container ${c.name} envFrom`);
        need(w, 'Secret', e.secretRef?.name, `container ${c.name} envFrom`);
      }
      for (const e of c.env ?? []) {
        need(w, 'ConfigMap', e.valueFrom?.configMapKeyRef?.name, `env ${e.name}:`);
        need(w, 'Secret', e.valueFrom?.secretKeyRef?.name, `env ${e.name}:`);
      }
      const mounts = new Set((c.volumeMounts ?? []).map((m: Any) => m.name));
      const volumes = new Set([...(spec.volumes ?? []), ...((w.spec as Any).volumeClaimTemplates ?? []).map((t: Any) => t.metadata)].map((v: Any) => v.name));
      for (const m of mounts) if (!volumes.has(m)) problems.push(`${id(w)}: container ${c.name} mounts volume ${m}, which the pod does not have`);
    }
    if (w.kind === 'StatefulSet') {
      const svc = find(objs, 'Service', (w.spec as Any).serviceName);
      if (!svc) problems.push(`${id(w)}: serviceName ${(w.spec as Any).serviceName} is no Service`);
      else if ((svc.spec as Any).clusterIP !== 'None') problems.push(`${id(w)}: its Service ${svc.metadata.name} is not headless`);
    }
    const selector = (w.spec as Any).selector?.matchLabels ?? {};
    if (!matches(selector, podLabels(w))) problems.push(`${id(w)}: selector does not match its own pod labels`);
  }
  for (const hpa of objs.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const ref = (hpa.spec as Any).scaleTargetRef;
    if (!find(objs, ref.kind, ref.name)) problems.push(`${id(hpa)}: scale target ${ref.kind}/${ref.name} does not exist`);
  }
  for (const pdb of objs.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const sel = (pdb.spec as Any).selector?.matchLabels ?? {};
    if (!workloads(objs).some((w) => matches(sel, podLabels(w)))) problems.push(`${id(pdb)}: selects no workload's pods`);
  }
  for (const b of objs.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
    const role = (b as Any).roleRef;
    if (!find(objs, role.kind, role.name)) problems.push(`${id(b)}: role ${role.kind}/${role.name} does not exist`);
    for (const s of (b as Any).subjects ?? []) {
      const sa = s.kind === 'ServiceAccount' ? find(objs, 'ServiceAccount', s.name) : undefined;
      if (s.kind === 'ServiceAccount' && (!sa || sa.metadata.namespace !== s.namespace)) problems.push(`${id(b)}: subject ServiceAccount ${s.namespace}/${s.name} does not exist`);
    }
  }
  return problems;
}

/** Each Service selects some pods, and each of its target ports is a port those pods' containers declare. */
export function serviceProblems(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const svc of objs.filter((o) => o.kind === 'Service')) {
    const spec = svc.spec as Any;
    const targets = workloads(objs).filter((w) => matches(spec.selector ?? {}, podLabels(w)));
    if (targets.length === 0) {
      problems.push(`${id(svc)}: selects no workload's pods`);
      continue;
    }
    for (const p of spec.ports ?? []) {
      const target = p.targetPort ?? p.port;
      for (const w of targets) {
        const ports: Any[] = podSpec(w).containers.flatMap((c: Any) => c.ports ?? []);
        const ok = typeof target === 'string' ? ports.some((cp) => cp.name === target) : ports.some((cp) => cp.containerPort === target);
        if (!ok) problems.push(`${id(svc)}: port ${p.name ?? p.port} targets ${target}, which ${id(w)} does not declare`);
      }
    }
  }
  return problems;
}

const portValue = (c: Any, ref: string | number): number | undefined =>
  typeof ref === 'number' ? ref : (c.ports ?? []).find((p: Any) => p.name === ref)?.containerPort;

/**
 * The DMS containers: the image names a role with a Dockerfile, the variables (from env, envFrom
 * ConfigMaps and what entrypoint.sh sets) are that role's keys and load as its config would, and
 * probes, ports and scrape annotations agree with health.port and metrics.port.
 */
export function dmsContainerProblems(objs: K8sObject[], entrypoint: string): string[] {
  const problems: string[] = [];

  for (const w of workloads(objs)) {
    const annotations = (w.spec as Any).template.metadata?.annotations ?? {};
    for (const c of containersOf(w)) {
      const role = roleOfImage(c.image);
      if (!role) {
        if (typeof c.image === 'string' && c.image.startsWith('dms-')) problems.push(`${id(w)}: image ${c.image} is not one DMS builds`);
        continue;
      }
      const isMain = podSpec(w).containers.includes(c);
      if (!isMain) continue; // init containers only run scripts with the image's node
      const env: Record<string, string> = {};
      for (const e of c.envFrom ?? []) {
        const cm = e.configMapRef ? find(objs, 'ConfigMap', e.configMapRef.name) : undefined;
        Object.assign(env, (cm as Any)?.data ?? {});
      }
      for (const e of c.env ?? []) env[e.name] = e.value ?? `from-${e.name}`;
      const usesEntrypoint = Array.isArray(c.command) && c.command.join(' ').includes('entrypoint.sh');
      if (role !== 'console') {
        if (!usesEntrypoint || c.command.at(-1) !== role) problems.push(`${id(w)}: ${c.name} must start through entrypoint.sh ${role}`);
        for (const v of entrypointVariables(entrypoint, role)) env[v] ??= v.endsWith('_ID') ? '0' : `/set/by/entrypoint/${v}`;
      }
      for (const v of unknownVariables(role, Object.keys(env))) problems.push(`${id(w)}: ${c.name} sets ${v}, which dms-${role} does not read`);
      problems.push(...envOrderProblems(w, c));
      let config: Record<string, unknown>;
      try {
        config = loadAs(role, Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('DMS_'))));
      } catch (err) {
        problems.push(`${id(w)}: dms-${role} would refuse this configuration: ${(err as Error).message}`);
        continue;
      }
      if (config[ID_KEY[role]] === undefined) problems.push(`${id(w)}: no ${ID_KEY[role]}`);
      const metrics = config['metrics.port'] as number;
      if (config['metrics.host'] !== '0.0.0.0') problems.push(`${id(w)}: metrics.host must be 0.0.0.0 for Prometheus to reach it`);
      if (annotations['prometheus.io/scrape'] !== 'true' || Number(annotations['prometheus.io/port']) !== metrics || !metrics) {
        problems.push(`${id(w)}: prometheus.io annotations must scrape metrics.port ${metrics}`);
      }
      if (!(c.ports ?? []).some((p: Any) => p.containerPort === metrics)) problems.push(`${id(w)}: metrics.port ${metrics} is not a declared container port`);
      // The console has no health.port: its probes are its HTTP port accepting connections.
      if (role === 'console') continue;
      const health = config['health.port'] as number;
      if (!health) problems.push(`${id(w)}: health.port is off, so no probe can ask the service`);
      if (config['health.host'] !== '0.0.0.0') problems.push(`${id(w)}: health.host must be 0.0.0.0 for the kubelet to reach it`);
      for (const [probe, path] of [['livenessProbe', '/livez'], ['readinessProbe', '/readyz']] as const) {
        const get = c[probe]?.httpGet;
        if (!get) problems.push(`${id(w)}: ${c.name} has no HTTP ${probe}`);
        else if (get.path !== path || portValue(c, get.port) !== health) problems.push(`${id(w)}: ${probe} must GET ${path} on health.port ${health}, not ${get.path} on ${get.port}`);
      }
    }
  }
  return problems;
}

/** The DMS_* variables entrypoint.sh sets for a role: those of its `role)` case line and those outside the case. */
export function entrypointVariables(script: string, role: string): Set<string> {
  const out = new Set<string>();
  for (const line of script.split('\n')) {
    if (line.trimStart().startsWith('#')) continue;
    const roles = /^\s*([a-z|*]+)\)/.exec(line)?.[1]?.split('|');
    if (roles && !roles.includes(role)) continue;
    for (const v of line.match(/\bDMS_[A-Z0-9_]+(?==)/g) ?? []) out.add(v);
  }
  return out;
}

/** $(VAR) in an env value expands only variables defined earlier in the same list. */
function envOrderProblems(w: K8sObject, c: Any): string[] {
  const problems: string[] = [];
  const defined = new Set<string>();
  for (const e of c.env ?? []) {
    for (const [, ref] of String(e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
      if (!defined.has(ref!)) problems.push(`${id(w)}: ${c.name} env ${e.name} uses $(${ref}) before it is defined`);
    }
    defined.add(e.name);
  }
  return problems;
}

/** Non-root, no privilege escalation, read-only root filesystem, all capabilities dropped, memory limits. */
export function hardeningProblems(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objs)) {
    const spec = podSpec(w);
    if (spec.securityContext?.runAsNonRoot !== true) problems.push(`${id(w)}: pod may run as root`);
    for (const c of containersOf(w)) {
      const sc = c.securityContext ?? {};
      if (sc.readOnlyRootFilesystem !== true || sc.allowPrivilegeEscalation !== false || !(sc.capabilities?.drop ?? []).includes('ALL')) {
        problems.push(`${id(w)}: ${c.name} must have a read-only root fs, no privilege escalation and drop ALL capabilities`);
      }
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory) problems.push(`${id(w)}: ${c.name} lacks cpu/memory requests or a memory limit`);
    }
    for (const v of spec.volumes ?? []) {
      const mode = v.secret?.defaultMode ?? v.configMap?.defaultMode;
      // YAML 1.1 (Kubernetes) reads 0444 as octal, YAML 1.2 as 444: modes are written in decimal, and must be one of these.
      if (mode !== undefined && !SANE_MODES.has(mode)) problems.push(`${id(w)}: volume ${v.name} defaultMode ${mode} (octal ${mode.toString(8)}) is not a read-only file mode`);
    }
  }
  return problems;
}

/** Workloads with more than one replica have a PodDisruptionBudget; brokers' allows one down at a time. */
export function disruptionProblems(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objs)) {
    const hpa = objs.find((o) => o.kind === 'HorizontalPodAutoscaler' && (o.spec as Any).scaleTargetRef.name === w.metadata.name);
    const replicas = hpa ? (hpa.spec as Any).minReplicas : ((w.spec as Any).replicas ?? 1);
    if (replicas <= 1) continue;
    const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget' && matches((o.spec as Any).selector.matchLabels, podLabels(w)));
    if (!pdb) {
      problems.push(`${id(w)}: ${replicas} replicas and no PodDisruptionBudget`);
      continue;
    }
    const spec = pdb.spec as Any;
    const down = spec.maxUnavailable ?? replicas - spec.minAvailable;
    if (down !== 1) problems.push(`${id(w)}: its PodDisruptionBudget lets ${down} pods go at once, not 1`);
  }
  return problems;
}

export function readEntrypoint(baseDir: string): string {
  return readFileSync(join(baseDir, 'scripts', 'entrypoint.sh'), 'utf8');
}

export type { Role };
