export * from './runtime';
export * from './timer';
