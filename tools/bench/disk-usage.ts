import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** One sample of a produce phase: bytes on disk of the topic and the append rate since the last sample. */
export interface DiskSample {
  atS: number;
  diskBytes: number;
  /** Of diskBytes, what `*.deleted` files still hold (unlinked after file.delete.delay.ms). */
  deletedBytes: number;
  /** Segment files (`.log`, `.deleted` included) summed over the sample. */
  files: number;
  /** Record-batch bytes acknowledged per second since the previous sample. */
  produceMBps: number;
}

/**
 * Bytes on disk of every copy of `topic` under `root` (a dev cluster's data dir: each broker's
 * `broker-<id>/<topic>-<p>/` directories, found at any depth up to three), `.deleted` files
 * included since they still hold their blocks until unlinked.
 */
export async function topicDiskBytes(root: string, topic: string): Promise<{ bytes: number; deletedBytes: number; files: number }> {
  const dirName = new RegExp(`^${topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`);
  let bytes = 0;
  let deletedBytes = 0;
  let files = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = join(dir, e.name);
      if (dirName.test(e.name)) {
        for (const f of await readdir(path).catch(() => [] as string[])) {
          const s = await stat(join(path, f)).catch(() => undefined);
          if (!s?.isFile()) continue;
          bytes += s.size;
          if (f.endsWith('.deleted')) deletedBytes += s.size;
          if (f.endsWith('.log') || f.endsWith('.log.deleted')) files++;
        }
      } else if (depth > 0) await walk(path, depth - 1);
    }
  };
  await walk(root, 3);
  return { bytes, deletedBytes, files };
}

/** Samples disk use every `everyS` seconds while `progress.bytes` counts acknowledged bytes. */
export function startDiskSampler(root: string, topic: string, everyS: number, progress: { bytes: number }) {
  const samples: DiskSample[] = [];
  const started = performance.now();
  let lastAt = started;
  let lastBytes = 0;
  let sampling: Promise<void> = Promise.resolve();
  const sample = () => {
    sampling = sampling.then(async () => {
      const now = performance.now();
      const { bytes, deletedBytes, files } = await topicDiskBytes(root, topic);
      const seconds = (now - lastAt) / 1000;
      samples.push({
        atS: Math.round((now - started) / 100) / 10,
        diskBytes: bytes,
        deletedBytes,
        files,
        produceMBps: seconds > 0 ? Math.round(((progress.bytes - lastBytes) / seconds / 1e6) * 10) / 10 : 0,
      });
      lastAt = now;
      lastBytes = progress.bytes;
    });
  };
  sample();
  const timer = setInterval(sample, everyS * 1000);
  return {
    samples,
    stop: async () => {
      clearInterval(timer);
      sample();
      await sampling;
      return samples;
    },
  };
}
