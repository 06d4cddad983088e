import type { ServiceDefinition } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { authorizeService, denial } from './authorize';
import { METHOD_POLICIES, methodPolicy } from './method-roles';
import { identityFromSubjectAltName } from './service-identity';
import { StorageServiceService } from './storage-service-def';
import { ControllerServiceService } from './generated/dms/cluster/v1/cluster';
import { GroupCoordinatorServiceService } from './generated/dms/groups/v1/groups';
import { TransactionCoordinatorServiceService } from './generated/dms/transactions/v1/transactions';
import { ShareGroupServiceService, SharePartitionServiceService, ShareStateServiceService } from './generated/dms/share/v1/share';

const SERVICES: Record<string, ServiceDefinition> = {
  StorageService: StorageServiceService as unknown as ServiceDefinition,
  ControllerService: ControllerServiceService as unknown as ServiceDefinition,
  GroupCoordinatorService: GroupCoordinatorServiceService as unknown as ServiceDefinition,
  TransactionCoordinatorService: TransactionCoordinatorServiceService as unknown as ServiceDefinition,
  ShareGroupService: ShareGroupServiceService as unknown as ServiceDefinition,
  SharePartitionService: SharePartitionServiceService as unknown as ServiceDefinition,
  ShareStateService: ShareStateServiceService as unknown as ServiceDefinition,
};

const paths = Object.values(SERVICES).flatMap((def) => Object.values(def).map((m) => m.path));

describe('the method role table', () => {
  it.each(paths)('names the callers of %s', (path) => {
    const policy = methodPolicy(path);
    expect(policy).toBeDefined();
    expect(policy!.callers.length).toBeGreaterThan(0);
  });

  it('has no entry for a method that no service defines', () => {
    expect(Object.keys(METHOD_POLICIES).filter((p) => !paths.includes(p))).toEqual([]);
  });

  it('keeps replication and ISR changes to brokers acting as themselves', () => {
    expect(methodPolicy('/dms.storage.v1.StorageService/ReplicaFetch')).toEqual({ callers: ['broker'], callerIdField: 'replicaId' });
    expect(methodPolicy('/dms.cluster.v1.ControllerService/AlterPartition')).toEqual({ callers: ['broker'], callerIdField: 'brokerId' });
    for (const m of ['CreateTopics', 'DeleteTopics', 'ElectLeaders', 'CreateAcls', 'DeleteAcls', 'AlterScramCredentials', 'AlterConfigs', 'CreatePartitions']) {
      expect(methodPolicy(`/dms.cluster.v1.ControllerService/${m}`)?.callers).toEqual(['gateway']);
    }
  });

  it('refuses to serve a service with a method the table does not know', () => {
    const def = { sneaky: { ...ControllerServiceService.describeCluster, path: '/dms.cluster.v1.ControllerService/Sneaky' } } as unknown as ServiceDefinition;
    expect(() => authorizeService(def, { sneaky: () => undefined })).toThrow('no callers declared for /dms.cluster.v1.ControllerService/Sneaky');
  });

  it('has no "toString"-style inherited entries', () => {
    expect(methodPolicy('toString')).toBeUndefined();
  });
});

function call(san: string | undefined, opts: { ssl?: boolean; eku?: string[] } = {}) {
  const cert = { subjectaltname: san, ext_key_usage: opts.eku } as unknown as PeerCertificate;
  return { getAuthContext: () => (opts.ssl === false ? {} : { transportSecurityType: 'ssl', sslPeerCertificate: cert }) };
}

describe('denial', () => {
  const replicaFetch = '/dms.storage.v1.StorageService/ReplicaFetch';
  const policy = methodPolicy(replicaFetch)!;

  it('lets plaintext calls through (the server is bound without TLS only in PLAINTEXT mode)', () => {
    expect(denial(call(undefined, { ssl: false }), replicaFetch, policy)).toBeUndefined();
  });

  it('refuses a certificate without a service identity (a Kafka client certificate)', () => {
    expect(denial(call('DNS:localhost, IP Address:127.0.0.1'), replicaFetch, policy)).toContain('no DMS service identity');
  });

  it('refuses a role the method does not list', () => {
    expect(denial(call('URI:dms://gateway/1'), replicaFetch, policy)).toBe(`${replicaFetch} may be called by broker only, not by gateway 1`);
  });

  it('checks the caller id field against the certificate', () => {
    expect(denial(call('URI:dms://broker/2'), replicaFetch, policy, { replicaId: 2 })).toBeUndefined();
    expect(denial(call('URI:dms://broker/2'), replicaFetch, policy, { replicaId: 3 })).toContain('broker 2 may not act as replicaId 3');
  });

  it('refuses a certificate not valid for client authentication', () => {
    expect(denial(call('URI:dms://broker/2', { eku: ['1.3.6.1.5.5.7.3.1'] }), replicaFetch, policy, { replicaId: 2 })).toContain('not valid for client authentication');
  });

  it('keeps the operator (admin) role to maintenance RPCs', () => {
    const recover = '/dms.storage.v1.StorageService/RecoverLogDir';
    expect(denial(call('URI:dms://admin/0'), recover, methodPolicy(recover)!)).toBeUndefined();
    expect(denial(call('URI:dms://gateway/1'), recover, methodPolicy(recover)!)).toContain('not by gateway 1');
    for (const m of ['Produce', 'Fetch', 'ReplicaFetch', 'DeleteRecords']) {
      const path = `/dms.storage.v1.StorageService/${m}`;
      expect(denial(call('URI:dms://admin/0'), path, methodPolicy(path)!, { replicaId: 0 })).toContain('not by admin 0');
    }
  });

  it('lets the web console (console role) query messages and nothing else', () => {
    const query = '/dms.storage.v1.StorageService/Query';
    for (const who of ['URI:dms://console/0', 'URI:dms://admin/0', 'URI:dms://gateway/1']) expect(denial(call(who), query, methodPolicy(query)!)).toBeUndefined();
    expect(denial(call('URI:dms://broker/1'), query, methodPolicy(query)!)).toContain('not by broker 1');
    for (const m of ['Produce', 'Fetch', 'RecoverLogDir', 'DeleteRecords']) {
      const path = `/dms.storage.v1.StorageService/${m}`;
      expect(denial(call('URI:dms://console/0'), path, methodPolicy(path)!, { replicaId: 0 })).toContain('not by console 0');
    }
  });

  it('lets "self" match only a broker calling its own server (none configured here)', () => {
    const produce = '/dms.storage.v1.StorageService/Produce';
    expect(denial(call('URI:dms://broker/1'), produce, methodPolicy(produce)!)).toContain('not by broker 1');
    expect(denial(call('URI:dms://gateway/1'), produce, methodPolicy(produce)!)).toBeUndefined();
  });
});

describe('service identity', () => {
  it('reads dms://<role>/<id> from the SAN', () => {
    expect(identityFromSubjectAltName('URI:dms://broker/3, IP Address:127.0.0.2, DNS:localhost')).toEqual({ role: 'broker', id: 3 });
  });

  it('refuses unknown roles, junk and two identities in one certificate', () => {
    expect(identityFromSubjectAltName('URI:dms://operator/1')).toBeUndefined();
    expect(identityFromSubjectAltName('URI:dms://broker/3x')).toBeUndefined();
    expect(identityFromSubjectAltName('URI:dms://broker/3, URI:dms://controller/1')).toBeUndefined();
    expect(identityFromSubjectAltName(undefined)).toBeUndefined();
  });
});
