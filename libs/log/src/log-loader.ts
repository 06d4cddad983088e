// Opening a partition log (Kafka's LogLoader): the directory, interrupted cleaner swaps, the
// segments, the leader-epoch cache, then producer state from its newest snapshot plus a replay.
import { recoverInterruptedSwaps } from './cleaner/segment-swap';
import { persistEpochs } from './epoch-checkpoint';
import { loadLeaderEpochs } from './leader-epoch-rebuild';
import { type LogConfig, resolveLogConfig } from './log-config';
import { LogError } from './log-error';
import { checkTopicId, createPartitionDir } from './log-files';
import { closeLog } from './log-flush';
import { LogState } from './log-state';
import { loadProducerState } from './log-producers';
import { loadSegments } from './segment-loader';

/** Opens the partition directory, creating it or recovering what is there. */
export async function openLogState(dir: string, config: LogConfig): Promise<LogState> {
  const cfg = resolveLogConfig(config);
  await createPartitionDir(dir, cfg.fsync === 'always');
  const topicId = await checkTopicId(dir, cfg.topicId, cfg.fsync === 'always');
  await recoverInterruptedSwaps(dir, cfg.logger);
  const segments = await loadSegments(dir, cfg);

  const { epochs, rebuilt } = await loadLeaderEpochs(dir, segments, cfg.logger);
  const s = new LogState(dir, cfg, segments, epochs, topicId);
  // Epochs past the recovered end or below the start describe data that is gone.
  const changedEnd = s.epochs.truncateFromEnd(s.nextOffset);
  const changedStart = s.epochs.truncateFromStart(s.startOffset);
  if (changedEnd || changedStart || rebuilt) await persistEpochs(s);
  try {
    for (const seg of segments) await seg.txnIndex.load();
    await loadProducerState(s);
  } catch (e) {
    await closeLog(s).catch(() => {});
    throw e instanceof LogError ? e : new LogError('storage', `cannot load producer state of ${dir}: ${(e as Error).message}`, { cause: e });
  }
  s.keyIndex.buildMissing();
  s.keyIndex.startTrailing();
  return s;
}
