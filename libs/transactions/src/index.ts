export * from './producer-id-source';
