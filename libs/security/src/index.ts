export * from './scram';
export * from './plain';
export * from './sasl-server';
export * from './acl';
export * from './authorizer';
export * from './principal';
export * from './auth-backoff';
