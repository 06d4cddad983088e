export * from './config';
export * from './coordinator';
export * from './coordinator-log';
export * from './partition-replay';
export * from './txn-offsets';
export * from './placement';
export * from './records';
export * from './types';
