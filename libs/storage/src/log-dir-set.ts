import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { partitionDirName } from '@dms/log';

/** One line of an offset checkpoint (replication-offset-checkpoint and its kin). */
export interface CheckpointEntry {
  topic: string;
  partition: number;
  offset: bigint;
}

const PARTITION_DIR = /^(.+)-(\d+)$/;

/**
 * A broker's log dirs (Kafka's `log.dirs`). A partition's log lives in whichever dir holds its
 * directory; a new replica goes to the online dir holding the fewest partitions (Kafka's rule,
 * ties to the first listed). The per-dir checkpoint files (high watermarks, log start offsets,
 * cleaner offsets) hold the partitions of their own dir, as in Kafka, and are read back from all.
 */
export class LogDirSet {
  readonly dirs: readonly string[];
  /** Partition directory name -> the log dir holding it (found on disk, or placed here). */
  private readonly placed = new Map<string, string>();

  constructor(dirs: readonly string[], private readonly isOffline: (dir: string) => boolean = () => false) {
    const resolved = [...new Set(dirs.map((d) => resolve(d)))];
    if (resolved.length === 0) throw new Error('log.dirs names no directory');
    this.dirs = resolved;
  }

  /**
   * Finds the partition directories already on disk. A name in two dirs (a copy left behind by an
   * operator) is served from the first listed one; the caller is told about the others.
   */
  scan(): Array<{ name: string; kept: string; ignored: string }> {
    const duplicates: Array<{ name: string; kept: string; ignored: string }> = [];
    for (const dir of this.dirs) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        if (!PARTITION_DIR.test(name)) continue;
        const kept = this.placed.get(name);
        if (kept && kept !== dir) duplicates.push({ name, kept, ignored: dir });
        else this.placed.set(name, dir);
      }
    }
    return duplicates;
  }

  /** The log dir holding the partition's directory, if one does. */
  locate(topic: string, partition: number): string | undefined {
    const name = partitionDirName(topic, partition);
    const known = this.placed.get(name);
    if (known) return known;
    // Created since the scan by someone else (a restore into a second dir): look once more.
    const found = this.dirs.find((d) => existsSync(join(d, name)));
    if (found) this.placed.set(name, found);
    return found;
  }

  /** The log dir of the partition: where it is, else where a new replica of it goes. */
  dirOf(topic: string, partition: number): string {
    const at = this.locate(topic, partition);
    if (at) return at;
    const dir = this.leastLoaded();
    this.placed.set(partitionDirName(topic, partition), dir);
    return dir;
  }

  /** The partition's directory (see dirOf). */
  pathOf(topic: string, partition: number): string {
    return join(this.dirOf(topic, partition), partitionDirName(topic, partition));
  }

  /** Partitions per log dir, as placed so far. */
  counts(): Map<string, number> {
    const n = new Map<string, number>(this.dirs.map((d) => [d, 0]));
    for (const dir of this.placed.values()) n.set(dir, (n.get(dir) ?? 0) + 1);
    return n;
  }

  /** The online dir with the fewest partitions; the first dir when none is online (its replicas then stay offline). */
  private leastLoaded(): string {
    const counts = this.counts();
    let best: string | undefined;
    for (const dir of this.dirs) {
      if (this.isOffline(dir)) continue;
      if (best === undefined || counts.get(dir)! < counts.get(best)!) best = dir;
    }
    return best ?? this.dirs[0]!;
  }

  /** One checkpoint map from every online dir's file. */
  async readCheckpoints<T>(read: (dir: string) => Promise<Map<string, T>>): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    for (const dir of this.dirs) {
      if (this.isOffline(dir)) continue;
      for (const [k, v] of await read(dir)) if (!out.has(k)) out.set(k, v);
    }
    return out;
  }

  /**
   * Writes each online dir's checkpoint with the entries of its own partitions (a partition found
   * nowhere counts as the first dir's). Every dir is attempted; failures go to `onError` per dir.
   */
  async writeCheckpoints(
    entries: readonly CheckpointEntry[],
    write: (dir: string, entries: CheckpointEntry[]) => Promise<void>,
    onError: (dir: string, err: unknown) => void,
  ): Promise<void> {
    const byDir = new Map<string, CheckpointEntry[]>(this.dirs.map((d) => [d, []]));
    for (const e of entries) byDir.get(this.locate(e.topic, e.partition) ?? this.dirs[0]!)?.push(e);
    for (const [dir, list] of byDir) {
      if (this.isOffline(dir)) continue;
      try {
        await write(dir, list);
      } catch (err) {
        onError(dir, err);
      }
    }
  }
}

/** `log.dirs` (comma-separated, Kafka's) else `log.dir` (one dir), else the default. */
export function parseLogDirs(logDirs: string, logDir: string, fallback: string): string[] {
  const list = (logDirs || logDir || fallback).split(',').map((d) => d.trim()).filter(Boolean);
  return list.length > 0 ? list : [fallback];
}
