// deploy/k8s is never applied here (no cluster): the base and every overlay are rendered the way
// kustomize renders them, each object is validated against the Kubernetes schemas, and the whole
// is checked for consistency with itself, the Dockerfiles and the services' config definitions.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY, ID_KEY } from './service-configs';
import { renderKustomization, type K8sObject } from './kustomize';
import {
  disruptionProblems,
  dmsContainerProblems,
  hardeningProblems,
  readEntrypoint,
  referenceProblems,
  schemaProblems,
  serviceProblems,
  workloads,
} from './k8s-checks';
import { dockerfileOf, roleOfImage } from './service-configs';

const K8S = join(DEPLOY, 'k8s');
const BASE = join(K8S, 'base');
const OVERLAYS = readdirSync(join(K8S, 'overlays'));
const entrypoint = readEntrypoint(BASE);
type Any = Record<string, any>;

const render = (dir: string) => renderKustomization(dir);
const sts = (objs: K8sObject[], name: string) => objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name)!.spec as Any;

describe('deploy/k8s', () => {
  it('has the dev and production overlays', () => {
    expect(OVERLAYS.sort()).toEqual(['dev', 'production']);
  });

  it('base: every object passes the Kubernetes schema', () => {
    expect(schemaProblems(render(BASE).objects)).toEqual([]);
  });

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    const dir = join(K8S, 'overlays', overlay);
    const { objects, generatedFiles } = render(dir);

    it('every rendered object passes the Kubernetes schema', () => {
      expect(objects.length).toBeGreaterThan(20);
      expect(schemaProblems(objects)).toEqual([]);
    });

    it('references resolve: Secrets, ConfigMaps, ServiceAccounts, volumes, headless Services, HPA and PDB targets', () => {
      expect(referenceProblems(objects)).toEqual([]);
    });

    it('every Service reaches ports its pods declare', () => {
      expect(serviceProblems(objects)).toEqual([]);
    });

    it('DMS containers: their images, only their own config keys, a configuration they accept, probes and scrape annotations on the right ports', () => {
      expect(dmsContainerProblems(objects, entrypoint)).toEqual([]);
      const roles = workloads(objects).flatMap((w) => (w.spec as Any).template.spec.containers.map((c: Any) => roleOfImage(c.image))).filter(Boolean);
      expect(new Set(roles)).toEqual(new Set(['controller', 'broker', 'gateway', 'console']));
    });

    it('images are built by the Dockerfiles in deploy/ (for every app in this checkout)', () => {
      for (const w of workloads(objects)) {
        for (const c of [...((w.spec as Any).template.spec.initContainers ?? []), ...(w.spec as Any).template.spec.containers]) {
          const role = roleOfImage(c.image);
          if (!role) continue;
          const df = dockerfileOf(role);
          expect([c.image, df.appExists ? df.exists : 'app not in this checkout']).toEqual([c.image, df.appExists ? true : 'app not in this checkout']);
        }
      }
    });

    it('hardened pods: non-root, read-only root fs, no capabilities, resource requests and limits, sane file modes', () => {
      expect(hardeningProblems(objects)).toEqual([]);
    });

    it('replicated workloads keep all but one pod through voluntary disruptions', () => {
      expect(disruptionProblems(objects)).toEqual([]);
    });

    it('the generated files exist for scripts, and each internal certificate Secret holds one certificate per id the workload can have', () => {
      for (const f of generatedFiles.filter((g) => g.generator.startsWith('ConfigMap/'))) expect([f.path, f.present]).toEqual([f.path, true]);
      for (const role of ['controller', 'broker', 'gateway'] as const) {
        const w = sts(objects, `dms-${role}`);
        const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && (o.spec as Any).scaleTargetRef.name === `dms-${role}`);
        const most = hpa ? (hpa.spec as Any).maxReplicas : w.replicas;
        expect(most).toBeGreaterThanOrEqual(w.replicas);
        const keys = generatedFiles.filter((g) => g.generator === `Secret/dms-internal-tls-${role}`).map((g) => g.key).sort();
        const ids = Array.from({ length: most }, (_, i) => i);
        // The names `dms certs create` writes; the pod's ordinal is its ${ID_KEY[role]}.
        expect([ID_KEY[role], keys]).toEqual([ID_KEY[role], ['ca.pem', ...ids.flatMap((i) => [`${role}-${i}-key.pem`, `${role}-${i}.pem`])].sort()]);
        const mounted = w.template.spec.volumes.find((v: Any) => v.name === 'certs').secret.secretName;
        expect(mounted).toBe(`dms-internal-tls-${role}`);
      }
    });

    it('the console gets etcd, the cluster name and its dms://console/0 certificate from its Secret', () => {
      const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'dms-console')!.spec as Any;
      const env = Object.fromEntries((d.template.spec.containers[0].env as Any[]).map((e) => [e.name, e]));
      expect(env.DMS_ETCD_ENDPOINTS.valueFrom.configMapKeyRef).toEqual({ name: 'dms-common', key: 'DMS_ETCD_ENDPOINTS' });
      expect(env.DMS_CLUSTER_NAME.valueFrom.configMapKeyRef).toEqual({ name: 'dms-common', key: 'DMS_CLUSTER_NAME' });
      const id = env.DMS_CONSOLE_ID.value;
      expect(env.DMS_INTERNAL_SSL_CERTIFICATE_LOCATION.value).toBe(`/etc/dms/certs/console-${id}.pem`);
      expect(d.template.spec.volumes.find((v: Any) => v.name === 'certs').secret.secretName).toBe('dms-internal-tls-console');
      const keys = generatedFiles.filter((g) => g.generator === 'Secret/dms-internal-tls-console').map((g) => g.key).sort();
      expect(keys).toEqual(['ca.pem', `console-${id}-key.pem`, `console-${id}.pem`]);
    });

    it('storage brokers keep their data on a claim per pod, and learn their rack from the node', () => {
      const b = sts(objects, 'dms-broker');
      expect(b.volumeClaimTemplates.map((t: Any) => t.metadata.name)).toEqual(['data']);
      const main = b.template.spec.containers[0];
      expect(main.volumeMounts.find((m: Any) => m.name === 'data').mountPath).toBe('/var/lib/dms/data');
      const init = b.template.spec.initContainers.find((c: Any) => c.name === 'zone-of-node');
      expect(init.env).toEqual([{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
      expect(b.template.spec.serviceAccountName).toBe('dms-broker');
      const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'dms-node-zone-reader') as Any;
      expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
      expect(entrypoint).toContain('DMS_BROKER_RACK=');
    });

    it("etcd's initial cluster names exactly its members", () => {
      const e = sts(objects, 'dms-etcd');
      const env = e.template.spec.containers[0].env as Any[];
      const initial = env.find((x) => x.name === 'ETCD_INITIAL_CLUSTER')!.value as string;
      const members = initial.split(',').map((m) => m.split('=')[0]!);
      expect(members).toEqual(Array.from({ length: e.replicas }, (_, i) => `dms-etcd-${i}`));
      const endpoints = (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'dms-common') as Any).data.DMS_ETCD_ENDPOINTS.split(',');
      expect(endpoints).toEqual(members.map((m) => `${m}.dms-etcd:2379`));
    });
  });

  it('production spreads etcd, controllers, brokers and gateways across zones and autoscales gateways from 3', () => {
    const { objects } = render(join(K8S, 'overlays', 'production'));
    for (const role of ['etcd', 'controller', 'broker', 'gateway']) {
      const spread = sts(objects, `dms-${role}`).template.spec.topologySpreadConstraints as Any[];
      expect(spread.find((s) => s.topologyKey === 'topology.kubernetes.io/zone')?.whenUnsatisfiable).toBe('DoNotSchedule');
    }
    expect([sts(objects, 'dms-etcd').replicas, sts(objects, 'dms-controller').replicas, sts(objects, 'dms-broker').replicas]).toEqual([3, 3, 3]);
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!.spec as Any;
    expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([3, 6]);
  });
});
