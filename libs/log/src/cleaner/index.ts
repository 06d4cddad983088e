export { OffsetMap, OFFSET_MAP_ENTRY_BYTES } from './offset-map';
export { cleanableRange, isCleanable } from './cleanable-range';
export type { CleanableRange, CompactionSettings } from './cleanable-range';
export { compactLog, CleaningAborted } from './log-compactor';
export type { CompactionStats, CompactOptions } from './log-compactor';
