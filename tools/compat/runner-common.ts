// What the Node runners of the compatibility suite share (the Python runners share
// python/common.py, the same shape): the command line, and the consumer-group scenario's phases.

export interface RunnerConfig {
  bootstrap: string;
  topic: string;
  group: string;
  security?: { mechanism: string; username: string; password: string; caFile: string };
}

export interface GroupMember {
  readonly name: string;
  /** Partitions of the scenario's topic assigned at the member's latest rebalance. */
  claims: number[];
  add(value: string): void;
}

export interface GroupClient {
  createTopic(topic: string, partitions: number): Promise<void>;
  /** `perPartition` records `<phase>-<partition>-<i>` into each of partitions 0-2. */
  producePhase(topic: string, phase: string, perPartition: number): Promise<void>;
  /** Starts a member of cfg.group on cfg.topic; the returned function commits and leaves. */
  groupMember(m: GroupMember): () => Promise<void>;
}

export async function waitUntil(ms: number, cond: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/**
 * Two members split a 3-partition topic and read 300 records; one leaves and the other takes
 * every partition; both leave (committing); a new member resumes at the committed offsets.
 */
export async function runConsumerGroup(client: GroupClient, cfg: RunnerConfig): Promise<Record<string, unknown>> {
  const seen = new Map<string, Set<string>>();
  const errors: string[] = [];
  const count = (prefix: string, ...members: string[]) =>
    new Set(members.flatMap((m) => [...(seen.get(m) ?? [])].filter((v) => v.startsWith(prefix)))).size;
  const start = (name: string) => {
    const m: GroupMember = { name, claims: [], add: (v) => { if (!seen.has(name)) seen.set(name, new Set()); seen.get(name)!.add(v); } };
    const stop = client.groupMember(m);
    return { m, stop: () => stop().catch((e: Error) => { errors.push(`${name}: ${e.message}`); }) };
  };
  await client.createTopic(cfg.topic, 3);
  await client.producePhase(cfg.topic, 'p1', 100);
  const a = start('a');
  const b = start('b');
  const out: Record<string, unknown> = { pairInTime: await waitUntil(60_000, () => count('p1', 'a', 'b') === 300) };
  out.split = await waitUntil(30_000, () => a.m.claims.length > 0 && b.m.claims.length > 0 && a.m.claims.length + b.m.claims.length === 3);
  Object.assign(out, { pairReceived: count('p1', 'a', 'b'), claimsA: [...a.m.claims].sort(), claimsB: [...b.m.claims].sort() });
  await a.stop();
  out.takeover = await waitUntil(30_000, () => b.m.claims.length === 3);
  await client.producePhase(cfg.topic, 'p2', 10);
  await waitUntil(30_000, () => count('p2', 'b') === 30);
  out.afterLeave = count('p2', 'b');
  await b.stop();
  await client.producePhase(cfg.topic, 'p3', 10);
  const c = start('c');
  await waitUntil(30_000, () => count('p3', 'c') === 30);
  await c.stop();
  Object.assign(out, { restartNew: count('p3', 'c'), restartReread: count('p1', 'c') + count('p2', 'c'), errors });
  return out;
}

/** `<runner> <scenario> <config-json>`: prints the scenario's result as one JSON line. */
export function runnerMain(make: (cfg: RunnerConfig) => Record<string, unknown>): void {
  const [scenario, json] = process.argv.slice(2);
  const scenarios = make(JSON.parse(json ?? '{}') as RunnerConfig);
  const run = scenarios[scenario ?? ''];
  if (typeof run !== 'function') {
    process.stderr.write(`unknown scenario ${scenario}\n`);
    process.exit(2);
  }
  (run as () => Promise<unknown>)().then(
    (out) => { process.stdout.write(`${JSON.stringify(out)}\n`); process.exit(0); },
    (e: Error) => { process.stderr.write(`${e.stack ?? e.message}\n`); process.exit(1); },
  );
}
