export * from './free-port';
export * from './wait-for';
export * from './etcd-process';
export * from './service-process';
export * from './dev-cluster';
export * from './cluster-status';
export * from './certs';
export * from './secure-dev';
