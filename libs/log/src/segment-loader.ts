// The segments of a partition directory at open: found by their file names, tidied of what a
// crash left behind, loaded (closed segments below the recovery point) or recovered (the active
// one, whose tail may be torn, and after an unclean shutdown every one past the recovery point).
import { readdir } from 'node:fs/promises';
import { LOG_SUFFIX, parseSegmentFileName } from './file-names';
import type { ResolvedLogConfig } from './log-config';
import { LogError } from './log-error';
import { removeDeletedFiles, removeOrphanIndexes } from './log-files';
import { needsRecovery, removeSegmentFiles } from './recovery-point';
import { Segment } from './segment';

/** Opens every segment of `dir` oldest first (one empty segment for a new log); closes them all on failure. */
export async function loadSegments(dir: string, cfg: ResolvedLogConfig): Promise<Segment[]> {
  const names = await readdir(dir);
  const bases = names
    .map((n) => parseSegmentFileName(n, LOG_SUFFIX))
    .filter((b): b is bigint => b !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  await removeOrphanIndexes(dir, names, new Set(bases), cfg);
  await removeDeletedFiles(dir, names);

  const segments: Segment[] = [];
  try {
    for (let i = 0; i < bases.length; i++) {
      const seg = new Segment(dir, bases[i]!, cfg.indexIntervalBytes);
      segments.push(seg);
      if (i < bases.length - 1 && needsRecovery(cfg.recoveryPoint, bases[i + 1]!)) {
        // Past the recovery point after an unclean shutdown: verified, not trusted.
        const { truncatedBytes, problem } = await seg.recoverClosed(bases[i + 1]!);
        await seg.sync();
        if (truncatedBytes > 0) {
          const later = bases.slice(i + 1).map((b) => new Segment(dir, b, cfg.indexIntervalBytes));
          cfg.logger('warn', 'truncated a torn or corrupt segment past the recovery point; later segments removed', {
            dir, segment: seg.paths.log, truncatedBytes, at: problem?.at, reason: problem?.reason,
            logEndOffset: seg.writtenEnd.toString(), removedSegments: later.map((l) => l.paths.log),
          });
          for (const l of later) await removeSegmentFiles(l);
          break;
        }
      } else if (i < bases.length - 1) {
        const { rebuiltIndexes } = await seg.load(bases[i + 1]!);
        if (rebuiltIndexes) cfg.logger('warn', 'rebuilt missing or corrupt segment indexes', { dir, segment: seg.paths.log });
      } else {
        const { truncatedBytes, problem } = await seg.recover();
        if (truncatedBytes > 0) {
          cfg.logger('warn', 'truncated torn or corrupt tail of the active segment', {
            dir,
            segment: seg.paths.log,
            truncatedBytes,
            at: problem?.at,
            reason: problem?.reason,
            logEndOffset: seg.writtenEnd.toString(),
          });
        }
        // What was recovered past the recovery point is synced: the log is durable to its end.
        if (cfg.recoveryPoint !== undefined && seg.writtenEnd > cfg.recoveryPoint) await seg.sync();
      }
    }
    if (segments.length === 0) {
      const seg = new Segment(dir, cfg.logStartOffset ?? 0n, cfg.indexIntervalBytes);
      await seg.files();
      segments.push(seg);
    }
  } catch (e) {
    await Promise.all(segments.map((s) => s.close().catch(() => {})));
    throw e instanceof LogError ? e : new LogError('storage', `cannot open log ${dir}: ${(e as Error).message}`, { cause: e });
  }
  return segments;
}
