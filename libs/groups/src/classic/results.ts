import type { JoinGroupResult, SyncGroupResult } from '../types';

/** The answers of a JoinGroup or SyncGroup that failed with `errorCode`. */
export const joinError = (errorCode: number, memberId = ''): JoinGroupResult => ({
  errorCode, generationId: -1, leader: '', skipAssignment: false, memberId, members: [],
});
export const syncError = (errorCode: number): SyncGroupResult => ({ errorCode, assignment: Buffer.alloc(0) });
/** A Kafka nullable string, absent when null or empty. */
export const nz = (s: string | null | undefined): string | undefined => (s === null || s === undefined || s === '' ? undefined : s);
