export * from './gateway';
export * from './gateway-config';
export * from './kafka-server';
export * from './cluster-port';
export * from './tls-options';
export * from './security-port';
export * from './connection-quota';
