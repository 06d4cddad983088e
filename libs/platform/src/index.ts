export * from './config';
export * from './logger';
export * from './telemetry';
export * from './shutdown';
export * from './metric-names';
export * from './trace-sampler';
export * from './local-address';
export * from './health';
