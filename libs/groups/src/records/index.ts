export * from './record-table';
export * from './record-codec';
export * from './classic-records';
