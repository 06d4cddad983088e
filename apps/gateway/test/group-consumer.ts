import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@dms/devcluster';

export interface ConsumerEvent {
  event: 'assigned' | 'message' | 'ready' | 'stopped' | 'crash' | 'error';
  partitions?: number[];
  partition?: number;
  offset?: string;
  value?: string;
  error?: string;
}

export interface ConsumerConfig {
  brokers: string[];
  groupId: string;
  topic: string;
  clientId?: string;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  fromBeginning?: boolean;
}

/** A kafkajs consumer in a child node process (fixtures/group-consumer.js), killable by PID. */
export class GroupConsumer {
  readonly events: ConsumerEvent[] = [];
  private readonly child: ChildProcess;
  private exited = false;

  constructor(cfg: ConsumerConfig) {
    this.child = spawn(process.execPath, [join(__dirname, 'fixtures', 'group-consumer.js'), JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.events.push(JSON.parse(line));
        } catch {
          // not ours
        }
      }
    });
    this.child.stderr!.resume();
    this.child.stdin!.on('error', () => undefined);
    this.child.on('exit', () => (this.exited = true));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Partitions of the latest assignment, sorted. */
  assignment(): number[] | undefined {
    const last = [...this.events].reverse().find((e) => e.event === 'assigned');
    return last ? [...last.partitions!].sort((a, b) => a - b) : undefined;
  }

  messages(): ConsumerEvent[] {
    return this.events.filter((e) => e.event === 'message');
  }

  async waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    return waitFor(what, () => {
      const failed = this.events.find((e) => e.event === 'error' || e.event === 'crash');
      if (failed) throw new Error(`consumer failed: ${failed.error}`);
      return probe();
    }, timeoutMs);
  }

  /** Leaves the group cleanly and exits. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.stdin!.write('stop\n');
    await waitFor('consumer exit', () => this.exited, 20_000).catch(() => this.kill());
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
