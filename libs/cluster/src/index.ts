export * from './keys';
export * from './types';
export * from './logger';
export * from './session';
export * from './fenced';
export * from './election';
export * from './watch-cache';
export * from './cluster-view';
