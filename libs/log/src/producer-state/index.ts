export * from './batch-producer-fields';
export * from './producer-entry';
export * from './producer-state-manager';
