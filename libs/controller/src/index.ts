export * from './assignment';
export * from './topic-validation';
export * from './topic-manager';
export * from './controller-service';
export * from './cluster-id';
export * from './controller';
export * from './config';
export * from './security-manager';
