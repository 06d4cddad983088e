export * from './broker';
export * from './broker-config';
export * from './replica-manager';
export * from './partition-replica';
export * from './storage-service';
export * from './replica-fetcher';
export * from './isr-updater';
export * from './controller-client';
