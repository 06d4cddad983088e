export * from './producer-id-source';
export * from './config';
export * from './records';
export * from './txn-metadata';
export * from './transaction-shard';
export * from './transaction-coordinator';
