import type { LogLogger } from '../log-config';
import type { ProducerEntry } from './producer-entry';
import type { ProducerStateManager } from './producer-state-manager';
import { deleteSnapshot, encodeSnapshot, listSnapshots, readSnapshot, writeSnapshot } from './snapshot-file';

/** Snapshots kept per partition (Kafka keeps those of live segments; a few suffice to restart quickly). */
const RETAINED = 3;

/**
 * The snapshot files of one partition (see snapshot-file.ts): taken in the order asked, each
 * written only once the batches below its offset are, never more than RETAINED kept.
 */
export class ProducerSnapshots {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
    private readonly logger: LogLogger,
  ) {}

  /**
   * Captures the state now, as of `offset`, and writes it once `written` (the batches below
   * offset reaching the file) resolves; `beforeWrite` runs first (the aborted indexes it relies on).
   */
  take(state: ProducerStateManager, offset: bigint, written: Promise<unknown>, beforeWrite: () => Promise<void>): void {
    const bytes = encodeSnapshot(state.entries());
    this.chain = this.chain
      .then(() => written)
      .then(async () => {
        await beforeWrite();
        await writeSnapshot(this.dir, offset, bytes, this.fsync);
        await this.prune();
      })
      .catch((err: Error) => this.logger('warn', 'producer state snapshot not written', { dir: this.dir, offset: offset.toString(), err: err?.message }));
  }

  /** Waits for the snapshots asked so far. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** The newest intact snapshot at or below `upTo`; newer or unreadable ones are removed. */
  async loadLatest(upTo: bigint): Promise<{ offset: bigint; entries: ProducerEntry[] } | undefined> {
    await this.settled();
    for (const offset of await listSnapshots(this.dir)) {
      if (offset > upTo) {
        await deleteSnapshot(this.dir, offset);
        continue;
      }
      const entries = await readSnapshot(this.dir, offset);
      if (entries) return { offset, entries };
      this.logger('warn', 'ignoring a torn or corrupt producer state snapshot', { dir: this.dir, offset: offset.toString() });
      await deleteSnapshot(this.dir, offset);
    }
    return undefined;
  }

  /** Keeps the newest RETAINED snapshots, and none below `below` but the newest. */
  async prune(below?: bigint): Promise<void> {
    const all = await listSnapshots(this.dir);
    for (let i = 1; i < all.length; i++) {
      if (i >= RETAINED || (below !== undefined && all[i]! < below)) await deleteSnapshot(this.dir, all[i]!);
    }
  }

  async deleteAll(): Promise<void> {
    await this.settled();
    for (const offset of await listSnapshots(this.dir)) await deleteSnapshot(this.dir, offset);
  }
}
