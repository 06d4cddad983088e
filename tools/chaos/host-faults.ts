/**
 * The host-level tools behind the partition, pause and disk faults: nftables rules between
 * loopback addresses, and a small tmpfs a broker's log dir lives on. Each undoes itself on
 * request and, as a last resort, when this process exits (a synchronous hook), so a failed or
 * interrupted run leaves no rule and no mount behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Throws a clear error unless this process may change nftables rules and mount filesystems. */
export function requireRoot(fault: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`fault '${fault}' needs root for nftables/mount (run the chaos tool or its test as root)`);
  }
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 15_000, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout));
    if (input !== undefined) child.stdin?.end(input);
  });
}

const exitHooks = new Set<() => void>();
let hooked = false;
/** Runs `undo` (synchronous) when this process exits; returns the function that forgets it. */
export function onExit(undo: () => void): () => void {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const u of exitHooks) {
        try {
          u();
        } catch {
          /* best effort: the process is going away */
        }
      }
    });
  }
  exitHooks.add(undo);
  return () => exitHooks.delete(undo);
}

/** Sends SIGCONT to `pid` should this process exit first; returns the function that forgets it. */
export function continueOnExit(pid: number): () => void {
  const cont = () => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  };
  const forget = onExit(cont);
  return () => {
    forget();
  };
}

/**
 * Drops every packet between the given address pairs, both ways, in a table of its own
 * (`inet dms_chaos_<pid>`, output hook: on loopback each packet leaves through it once). Only the
 * listed pairs lose each other; everything else keeps talking. Needs each process to send from its
 * own address (the dev cluster's distinct-address mode).
 */
export class NetworkCut {
  readonly table = `dms_chaos_${process.pid}`;
  private active = false;
  private readonly removeHook = onExit(() => this.healSync());

  async cut(pairs: readonly (readonly [string, string])[]): Promise<void> {
    if (pairs.length === 0) throw new Error('nothing to cut');
    await this.heal();
    const rules = pairs.flatMap(([a, b]) => [`    ip saddr ${a} ip daddr ${b} drop`, `    ip saddr ${b} ip daddr ${a} drop`]);
    const script = [`table inet ${this.table} {`, '  chain out {', '    type filter hook output priority 0; policy accept;', ...rules, '  }', '}', ''].join('\n');
    this.active = true;
    await run('nft', ['-f', '-'], script);
  }

  async heal(): Promise<void> {
    if (!this.active) return;
    await run('nft', ['delete', 'table', 'inet', this.table]).catch((e: Error) => {
      if (!/No such file|does not exist/i.test(e.message)) throw e;
    });
    this.active = false;
  }

  healSync(): void {
    if (!this.active) return;
    try {
      execFileSync('nft', ['delete', 'table', 'inet', this.table], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      /* already gone */
    }
    this.active = false;
  }

  /** Heals and forgets the exit hook. */
  async close(): Promise<void> {
    await this.heal();
    this.removeHook();
  }
}

/** A tmpfs of `sizeMiB` mounted on `dir` (created if missing), that can be filled to the last byte. */
export class SmallDisk {
  private mounted = false;
  private readonly filler: string;
  private readonly removeHook = onExit(() => this.unmountSync());

  private constructor(readonly dir: string, readonly sizeMiB: number) {
    this.filler = join(dir, '.chaos-filler');
  }

  static async mount(dir: string, sizeMiB: number): Promise<SmallDisk> {
    mkdirSync(dir, { recursive: true });
    const disk = new SmallDisk(dir, sizeMiB);
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', dir]);
    disk.mounted = true;
    return disk;
  }

  /** Writes a filler file until the disk is full (ENOSPC); returns the bytes it took. */
  fill(): number {
    const fd = openSync(this.filler, 'a');
    const chunk = Buffer.alloc(1 << 20);
    let written = 0;
    try {
      for (;;) {
        try {
          const n = writeSync(fd, chunk);
          written += n;
          if (n < chunk.length) break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
      // The last partial megabyte: fill the remaining pages too.
      for (let size = 1 << 16; size >= 512; size >>= 1) {
        try {
          written += writeSync(fd, chunk.subarray(0, size));
          size <<= 1;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        }
      }
    } finally {
      closeSync(fd);
    }
    return written;
  }

  /** Gives the space back. */
  release(): void {
    rmSync(this.filler, { force: true });
  }

  async unmount(): Promise<void> {
    if (!this.mounted) return;
    this.release();
    await run('umount', [this.dir]).catch(() => run('umount', ['-l', this.dir]));
    this.mounted = false;
    this.removeHook();
  }

  private unmountSync(): void {
    if (!this.mounted) return;
    try {
      execFileSync('umount', ['-l', this.dir], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      /* best effort */
    }
    this.mounted = false;
  }
}
