export * from './batch-header';
export * from './compression';
export * from './control-record';
export * from './record-batch';
export * from './records-error';
export * from './record-filter';
export * from './recompress';
export * from './record-scan';
