// deploy/compose.yaml is never run here (no container engine): it is parsed as compose reads it
// (YAML with merge keys) and checked against the Dockerfiles and the services' config definitions.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { resolveListeners } from '@dms/gateway';
import { DEPLOY, ID_KEY, dockerfileOf, loadAs, roleOfImage, unknownVariables } from './service-configs';

type Any = Record<string, any>;
const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as Any;
const services = compose.services as Record<string, Any>;
const dms = Object.entries(services).filter(([, s]) => roleOfImage(s.image ?? '') !== undefined);
const envOf = (s: Any): Record<string, string> => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

describe('deploy/compose.yaml', () => {
  it('runs etcd, 3 controllers, 3 brokers, 2 gateways, the console, Prometheus and Grafana', () => {
    expect(Object.keys(services)).toEqual(['etcd', 'controller-1', 'controller-2', 'controller-3', 'broker-1', 'broker-2', 'broker-3', 'gateway-1', 'gateway-2', 'console', 'prometheus', 'grafana']);
  });

  it.each(dms.map(([name]) => name))('%s: its image is built from its Dockerfile and gets only variables its service reads', (name) => {
    const s = services[name]!;
    const role = roleOfImage(s.image)!;
    expect(s.build).toEqual({ context: '..', dockerfile: `deploy/${role}.Dockerfile` });
    const df = dockerfileOf(role);
    if (df.appExists) expect(df.exists).toBe(true);
    expect(unknownVariables(role, Object.keys(envOf(s)))).toEqual([]);
  });

  it.each(dms.filter(([name]) => name !== 'console').map(([name]) => name))('%s: the service accepts its configuration, with its own id, certificate and a readiness healthcheck', (name) => {
    const s = services[name]!;
    const role = roleOfImage(s.image) as 'controller' | 'broker' | 'gateway';
    const id = name.split('-')[1];
    const config = loadAs(role, envOf(s));
    expect(String(config[ID_KEY[role]])).toBe(id);
    expect(config['internal.ssl.certificate.location']).toBe(`/etc/dms/certs/${name}.pem`);
    expect(config['internal.ssl.key.location']).toBe(`/etc/dms/certs/${name}-key.pem`);
    expect(config['health.host']).toBe('0.0.0.0');
    expect(s.healthcheck.test.join(' ')).toContain(`127.0.0.1:${config['health.port']}/readyz`);
    expect(s.volumes).toContain('./certs:/etc/dms/certs:ro');
    if (role === 'gateway') {
      const listeners = resolveListeners(String(config.listeners), String(config['advertised.listeners']), String(config['listener.security.protocol.map']));
      // Host clients through the published port; other containers through the DOCKER listener.
      expect(listeners.map((l) => `${l.name} ${l.advertisedHost}:${l.advertisedPort}`)).toEqual([`PLAINTEXT localhost:${l0(s)}`, `DOCKER ${name}:19092`]);
    }
  });

  it('ids are unique per role and host ports unique', () => {
    const ids = dms.map(([name]) => name);
    expect(new Set(ids).size).toBe(ids.length);
    const ports = Object.values(services).flatMap((s) => (s.ports ?? []).map((p: string) => p.split(':')[0]));
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('the console bootstraps from the gateways it waits for, on their container listener', () => {
    const c = services.console!;
    const bootstrap = envOf(c).DMS_BOOTSTRAP_SERVERS!.split(',');
    expect(bootstrap).toEqual(['gateway-1:19092', 'gateway-2:19092']);
    expect(Object.keys(c.depends_on)).toEqual(['gateway-1', 'gateway-2']);
  });

  it('the console reaches the key index: etcd, the cluster name and its own dms://console certificate', () => {
    const c = services.console!;
    const config = loadAs('console', envOf(c));
    const etcd = loadAs('broker', envOf(services['broker-1']!));
    expect(config['etcd.endpoints']).toEqual(etcd['etcd.endpoints']);
    expect(config['cluster.name']).toBe(etcd['cluster.name']);
    expect(config['internal.ssl.certificate.location']).toBe(`/etc/dms/certs/console-${config[ID_KEY.console]}.pem`);
    expect(config['internal.ssl.key.location']).toBe(`/etc/dms/certs/console-${config[ID_KEY.console]}-key.pem`);
    expect(c.volumes).toContain('./certs:/etc/dms/certs:ro');
    expect([config['metrics.host'], config['metrics.port']]).toEqual(['0.0.0.0', 9464]);
    expect(readFileSync(join(DEPLOY, 'README.md'), 'utf8')).toContain(`--consoles ${config[ID_KEY.console]}`);
  });

  it('volumes: named ones are declared, bind mounts stay inside deploy/ (Prometheus and Grafana files included)', () => {
    const named = new Set(Object.keys(compose.volumes));
    const binds: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const v of (s.volumes ?? []) as string[]) {
        const src = v.split(':')[0]!;
        if (src.startsWith('.')) binds.push(src);
        else expect([name, src, named.has(src)]).toEqual([name, src, true]);
      }
    }
    for (const b of binds) expect(b.startsWith('./') && !b.includes('..')).toBe(true);
    expect(binds).toEqual(expect.arrayContaining(['./prometheus/prometheus.yaml', './prometheus/alerts.yaml', './grafana/provisioning', './grafana/dashboards']));
    // The certificates directory is where deploy/README.md tells `dms certs create` to write.
    expect(readFileSync(join(DEPLOY, 'README.md'), 'utf8')).toContain('certs create --dir deploy/certs');
    expect(existsSync(join(DEPLOY, 'k8s', 'base', 'kustomization.yaml'))).toBe(true);
  });

  it('every depends_on names a service', () => {
    for (const s of Object.values(services)) for (const d of Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {})) expect(Object.keys(services)).toContain(d);
  });
});

function l0(s: Any): string {
  return (s.ports as string[])[0]!.split(':')[0]!;
}
