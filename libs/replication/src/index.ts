export * from './follower-progress';
export * from './high-watermark';
export * from './isr-policy';
export * from './truncation';
export * from './ack-purgatory';
export * from './election';
export * from './leader-state';
