export * from './config';
export * from './coordinator';
export * from './placement';
export * from './records';
export * from './types';
