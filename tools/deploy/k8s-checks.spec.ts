// The checks and the renderer behind k8s-manifests.spec.ts catch what they claim to catch.
import type { K8sObject } from './kustomize';
import { dmsContainerProblems, entrypointVariables, referenceProblems, schemaProblems, serviceProblems } from './k8s-checks';
import { strategicMerge } from './strategic-merge';

const labels = { 'app.kubernetes.io/name': 'dms', 'app.kubernetes.io/component': 'broker' };
const statefulSet = (container: Record<string, any>, extra: Record<string, any> = {}): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'dms-broker' },
  spec: { serviceName: 'dms-broker', selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } }, ...extra } as any,
});

describe('schemaProblems', () => {
  it('reports wrong types and, unlike validate() alone, unknown fields', () => {
    const problems = schemaProblems([statefulSet({ name: 'b', image: 'dms-broker', imagePullPolicey: 'Always', ports: [{ containerPort: '9500' }] }, { replica: 3 })]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('containerPort must be integer'),
        'StatefulSet/dms-broker: unknown field spec.replica',
        'StatefulSet/dms-broker: unknown field spec.template.spec.containers[0].imagePullPolicey',
      ]),
    );
  });

  it('accepts label maps, ConfigMap data and int-or-string ports', () => {
    const cm: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: 'b' } }, data: { K: 'v' } };
    const svc: K8sObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: labels, ports: [{ port: 1, targetPort: 'grpc' }] } };
    expect(schemaProblems([cm, svc])).toEqual([]);
  });
});

describe('referenceProblems and serviceProblems', () => {
  it('name what is missing', () => {
    const w = statefulSet({ name: 'b', image: 'dms-broker', envFrom: [{ configMapRef: { name: 'absent' } }], volumeMounts: [{ name: 'certs', mountPath: '/c' }] });
    (w.spec as any).template.spec.serviceAccountName = 'nobody';
    const svc: K8sObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dms-broker' }, spec: { clusterIP: 'None', selector: labels, ports: [{ port: 9500, targetPort: 'grpc' }] } };
    expect(referenceProblems([w, svc])).toEqual([
      'StatefulSet/dms-broker: service account ServiceAccount/nobody does not exist',
      'StatefulSet/dms-broker: container b envFrom ConfigMap/absent does not exist',
      'StatefulSet/dms-broker: container b mounts volume certs, which the pod does not have',
    ]);
    expect(serviceProblems([w, svc])).toEqual(['Service/dms-broker: port 9500 targets grpc, which StatefulSet/dms-broker does not declare']);
  });
});

describe('dmsContainerProblems', () => {
  const script = 'case "$role" in\n  broker) export DMS_BROKER_ID="$o" ;;\n  gateway) export DMS_NODE_ID="$o" ;;\nesac\nexport DMS_INTERNAL_SSL_CA_LOCATION="$c/ca.pem"\n';

  it('knows which variables the entrypoint sets for which role', () => {
    expect([...entrypointVariables(script, 'broker')].sort()).toEqual(['DMS_BROKER_ID', 'DMS_INTERNAL_SSL_CA_LOCATION']);
  });

  it("reports another role's keys, values the service refuses, env used before it is defined, and probes off health.port", () => {
    const w = statefulSet({
      name: 'broker',
      image: 'dms-broker',
      command: ['sh', '/etc/dms/scripts/entrypoint.sh', 'broker'],
      env: [
        { name: 'DMS_GRPC_HOST', value: '$(POD_NAME).dms-broker' },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'DMS_LISTENERS', value: 'PLAINTEXT://0.0.0.0:9092' },
        { name: 'DMS_HEALTH_PORT', value: 'nine' },
      ],
    });
    const problems = dmsContainerProblems([w], script);
    expect(problems).toContain('StatefulSet/dms-broker: broker sets DMS_LISTENERS, which dms-broker does not read');
    expect(problems).toContain('StatefulSet/dms-broker: broker env DMS_GRPC_HOST uses $(POD_NAME) before it is defined');
    expect(problems.some((p) => p.includes("would refuse this configuration: invalid value 'nine' for config 'health.port'"))).toBe(true);
  });
});

describe('strategicMerge', () => {
  it('merges named lists by key with the patched items first, deletes on null, replaces other lists', () => {
    const base = { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], minAvailable: 2, args: ['x', 'y'] };
    const patch = { env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }], minAvailable: null, maxUnavailable: 1, args: ['z'] };
    expect(strategicMerge(base, patch)).toEqual({
      env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }, { name: 'A', value: '1' }],
      maxUnavailable: 1,
      args: ['z'],
    });
  });

  it('merges container ports on containerPort and Service ports on port', () => {
    expect(strategicMerge({ ports: [{ containerPort: 1, name: 'a' }] }, { ports: [{ containerPort: 1, protocol: 'TCP' }] })).toEqual({ ports: [{ containerPort: 1, name: 'a', protocol: 'TCP' }] });
    expect(strategicMerge({ ports: [{ port: 80, name: 'h' }] }, { ports: [{ port: 443 }] })).toEqual({ ports: [{ port: 443 }, { port: 80, name: 'h' }] });
  });
});
