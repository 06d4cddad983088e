// One describe block per client over the shared scenario list, on one cluster per client file:
// 1 controller, 1 broker, 1 gateway with `dms dev up --secure`'s TLS, SASL and etcd settings
// (the authorizer left off, so the PLAINTEXT scenarios need no ACLs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secureDevOptions, type RoleConfig } from '@dms/devcluster';
import { cleanup, runCli, runProcess, startTestCluster, type TestCluster } from '@dms/testing';
import { runnerFor, type RunnerCommand } from './runners';
import { scenarios, type ClientName } from './scenarios';

export function describeClient(client: ClientName): void {
  describe(client, () => {
    let tc: TestCluster;
    let dir: string;
    let runner: RunnerCommand;
    let security: { mechanism: string; username: string; password: string; caFile: string };
    let saslBootstrap: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `dms-compat-${client}-`));
      const opts = secureDevOptions(dir);
      const gateway: RoleConfig = { ...opts.config!.gateway };
      delete gateway['authorizer.class.name'];
      delete gateway['super.users'];
      [runner, tc] = await Promise.all([runnerFor(client), startTestCluster({ ...opts, config: { ...opts.config, gateway } })]);
      const admin = opts.security!.admin as { user: string; password: string; mechanism: string };
      security = { mechanism: admin.mechanism, username: admin.user, password: admin.password, caFile: opts.security!.caFile as string };
      saslBootstrap = `127.0.0.1:${tc.cluster.service('gateway', 1).ports.saslSslPort}`;
      if (scenarios.find((s) => s.name === 'create-topic')?.unsupported?.[client]) {
        // A client without admin calls gets its scenarios' topics from the dms CLI.
        const topics = new Map(scenarios.filter((s) => s.partitions && !s.unsupported?.[client]).map((s) => [s.topic, s.partitions!]));
        for (const [name, partitions] of topics) {
          const res = await runCli(['topics', 'create', name, '--partitions', String(partitions), '--bootstrap-server', tc.bootstrap]);
          if (res.code !== 0) throw new Error(`dms topics create ${name}: ${res.stderr}`);
        }
      }
    }, 360_000);

    afterAll(async () => {
      await cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const s of scenarios.filter((sc) => !sc.unsupported?.[client])) {
      it(`${s.name}: ${s.what}`, async () => {
        const config = {
          bootstrap: s.secure ? saslBootstrap : tc.bootstrap,
          topic: s.topic,
          group: `${s.topic}-${client}`,
          ...(s.secure ? { security } : {}),
        };
        const timeoutMs = s.timeoutMs ?? 90_000;
        const res = await runProcess(runner.cmd, [...runner.args, s.name, JSON.stringify(config)], { timeoutMs });
        if (res.code !== 0) throw new Error(`${client} ${s.name} exited ${res.code}${res.timedOut ? ' (timed out)' : ''}: ${res.stderr.slice(-2000)}`);
        const lines = res.stdout.trim().split('\n');
        s.check(JSON.parse(lines[lines.length - 1]) as Record<string, unknown>, client);
        if (s.activeProducer) {
          // DescribeProducers on every partition the producer wrote: one producer id across them
          // (a transactional id keeps its producer id across kcat's three processes).
          const ids = new Set<number>();
          for (const partition of s.activeProducer) {
            const d = await runCli(['producers', 'describe', '--topic', s.topic, '--partition', String(partition), '--json', '--bootstrap-server', tc.bootstrap]);
            if (d.code !== 0) throw new Error(`dms producers describe ${s.topic} ${partition}: ${d.stderr}`);
            const states = JSON.parse(d.stdout) as { producerId: number; producerEpoch: number; lastSequence: number; currentTxnStartOffset: number }[];
            expect(states).toHaveLength(1);
            // No transaction left open.
            expect(states[0].currentTxnStartOffset).toBe(-1);
            expect(states[0]).toMatchObject({ producerId: expect.any(Number), lastSequence: expect.any(Number) });
            expect(states[0].producerId).toBeGreaterThanOrEqual(0);
            expect(states[0].lastSequence).toBeGreaterThanOrEqual(0);
            ids.add(states[0].producerId);
          }
          expect(ids.size).toBe(1);
        }
        expect(tc.unexpectedExits).toEqual([]);
      }, (s.timeoutMs ?? 90_000) + 10_000);
    }
  });
}
