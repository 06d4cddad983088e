export * from './gateway';
export * from './gateway-config';
export * from './kafka-server';
export * from './cluster-port';
