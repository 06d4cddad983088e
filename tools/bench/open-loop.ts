import { BATCH, rewriteBatchCrc } from '@dms/kafka-codec';
import { countError, MAX_ERRORS, prebuildBatch } from './load';
import type { BenchOptions } from './options';
import { dueAtMs, dueBy, itemsInRun, LingerGrouper, roundRobin, type PendingBatch } from './schedule';
import { LatencyRecorder, summarize, type OpenLoopStats, type PhaseResult } from './stats';
import { LatencyTimeline } from './timeline';

/** A send later than this after its due time counts as late (above the 1 ms timer granularity). */
export const LATE_MS = 2;

/** --timeline-ms windows count the records (or requests) slower than this. */
export const TIMELINE_SLOW_MS = 10;

/** How long after the schedule ends the run waits for answers: the phase length, at least 5 s. */
export function drainMs(durationS: number): number {
  return Math.max(5_000, durationS * 1000);
}

interface Send {
  partition: number;
  records: number;
  /** Due time of each record (ms after the start); one entry for a --request-rate request. */
  dueMs: number[];
  /** When the request was due to leave. */
  sendAtMs: number;
}

/**
 * Open-loop produce. With --rate, record i is due at t0 + i / rate on partition i mod P; a
 * partition's records due within --linger-ms leave as one batch (at most --batch-size records) and
 * each record's latency runs from its own due time to the answer. With --request-rate, request j
 * (one --batch-size batch) is due at t0 + j / rate on partition j mod P, latency per request.
 * Requests go round-robin over --producers senders, each with its own connections. Nothing waits
 * for an answer before sending the next due request (up to --max-outstanding), so a stall shows as
 * latency of everything due during it. `stampTimestamps` writes each batch's due wall-clock time
 * into its timestamps (a copy per send and a CRC) so consumers can measure end-to-end latency.
 */
/** Sends one batch to one partition; `reused` says the batch is a template that never changes. */
export type ProduceSender = (partition: number, batch: Buffer, reused: boolean) => Promise<unknown>;

export async function runOpenLoopProduce(
  clients: readonly ProduceSender[],
  o: BenchOptions,
  opts: { stampTimestamps: boolean; progress?: { bytes: number } },
): Promise<PhaseResult> {
  const perRecord = o.rate !== undefined;
  const perSecond = (o.rate ?? o.requestRate)!;
  const recordsPerItem = perRecord ? 1 : o.batchSize;
  const templates = new Map<number, Promise<Buffer>>();
  const template = (records: number) => {
    let t = templates.get(records);
    if (!t) templates.set(records, (t = prebuildBatch({ ...o, batchSize: records })));
    return t;
  };
  // The sizes a run is likely to use are built before the clock starts.
  const warm = perRecord ? Math.min(o.batchSize, 200) : 1;
  for (let k = 1; k <= warm; k++) await template(perRecord ? k : o.batchSize);

  const durationMs = o.durationS * 1000;
  const total = itemsInRun(durationMs, perSecond);
  const grouper = new LingerGrouper(o.lingerMs, perRecord ? o.batchSize : 1);
  const latencies = new LatencyRecorder();
  const timeline = o.timelineMs !== undefined ? new LatencyTimeline(o.timelineMs, TIMELINE_SLOW_MS) : undefined;
  const sendLag = new LatencyRecorder();
  const errors: Record<string, number> = {};
  const backlog: Send[] = [];
  const inFlight = new Set<Send>();
  let cutOff = false;
  let unanswered = 0;
  let scheduled = 0;
  let requestIndex = 0;
  let outstanding = 0;
  let requests = 0;
  let records = 0;
  let bytes = 0;
  let failed = 0;
  let late = 0;
  let lastAnswerMs = 0;
  const t0 = performance.now() + 5;
  const wallT0 = performance.timeOrigin + t0;
  const now = () => performance.now() - t0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => { finish = r; });

  const maybeFinished = () => {
    if (scheduled >= total && backlog.length === 0 && outstanding === 0 && grouper.nextSendAtMs() === Number.POSITIVE_INFINITY) finish();
  };

  const launch = async (s: Send) => {
    if (cutOff) return;
    const lag = now() - s.sendAtMs;
    sendLag.add(Math.max(0, lag));
    if (lag > LATE_MS) late++;
    const client = clients[roundRobin(requestIndex++, clients.length)];
    outstanding++;
    inFlight.add(s);
    try {
      let batch = await template(s.records);
      if (opts.stampTimestamps) {
        batch = Buffer.from(batch);
        const ts = BigInt(Math.round(wallT0 + s.dueMs[0]));
        batch.writeBigInt64BE(ts, BATCH.baseTimestamp);
        batch.writeBigInt64BE(BigInt(Math.round(wallT0 + s.dueMs[s.dueMs.length - 1])), BATCH.maxTimestamp);
        rewriteBatchCrc(batch);
      }
      await client(s.partition, batch, !opts.stampTimestamps);
      if (cutOff) return;
      const at = now();
      lastAnswerMs = Math.max(lastAnswerMs, at);
      for (const d of s.dueMs) {
        latencies.add(at - d);
        timeline?.add(d, at - d);
      }
      requests++;
      records += s.records;
      bytes += batch.length;
      if (opts.progress) opts.progress.bytes += batch.length;
    } catch (err) {
      if (cutOff) return;
      failed++;
      countError(errors, err);
    } finally {
      inFlight.delete(s);
      outstanding--;
      pump();
      maybeFinished();
    }
  };

  const submit = (s: Send) => {
    if (outstanding < o.maxOutstanding && backlog.length === 0) void launch(s);
    else backlog.push(s);
  };
  const pump = () => {
    while (backlog.length > 0 && outstanding < o.maxOutstanding) void launch(backlog.shift()!);
  };
  const fromGroup = (b: PendingBatch): Send => ({ partition: b.partition, records: b.dueMs.length, dueMs: b.dueMs, sendAtMs: b.sendAtMs });

  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    timer = undefined;
    if (failed >= MAX_ERRORS) {
      scheduled = total;
      grouper.drain();
      backlog.length = 0;
      maybeFinished();
      return;
    }
    const at = now();
    const due = dueBy(at, perSecond, total);
    for (; scheduled < due; scheduled++) {
      const d = dueAtMs(scheduled, perSecond);
      const partition = roundRobin(scheduled, o.partitions);
      if (perRecord) {
        for (const b of grouper.add(partition, d)) submit(fromGroup(b));
      } else {
        submit({ partition, records: recordsPerItem, dueMs: [d], sendAtMs: d });
      }
    }
    for (const b of grouper.due(at)) submit(fromGroup(b));
    const next = Math.min(scheduled < total ? dueAtMs(scheduled, perSecond) : Number.POSITIVE_INFINITY, grouper.nextSendAtMs());
    if (next !== Number.POSITIVE_INFINITY) timer = setTimeout(tick, Math.max(0, Math.floor(next - now())));
    maybeFinished();
  };
  timer = setTimeout(tick, Math.max(0, Math.floor(-now())));
  // Bounded: answers still missing a while after the schedule ended are counted as unanswered,
  // each with the latency it had reached by then (a lower bound), so they still weigh in.
  const drain = setTimeout(() => {
    cutOff = true;
    const at = now();
    for (const s of [...inFlight, ...backlog, ...grouper.drain().map(fromGroup)]) {
      unanswered++;
      for (const d of s.dueMs) {
        latencies.add(at - d);
        timeline?.add(d, at - d);
      }
    }
    backlog.length = 0;
    scheduled = total;
    finish();
  }, durationMs + drainMs(o.durationS) + 5);
  await finished;
  clearTimeout(drain);
  if (timer) clearTimeout(timer);

  const seconds = Math.max(durationMs, lastAnswerMs) / 1000;
  const result = summarize('produce', seconds, requests, records, bytes, latencies, errors);
  const [lagP50, lagP99, lagMax] = sendLag.percentiles([0.5, 0.99, 1]);
  const r3 = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
  const openLoop: OpenLoopStats = {
    unit: perRecord ? 'records' : 'requests',
    targetPerSec: perSecond,
    achievedPerSec: Math.round(((perRecord ? records : requests) / seconds) * 10) / 10,
    scheduled: total,
    producers: clients.length,
    lingerMs: o.lingerMs,
    sent: requestIndex,
    lateSends: late,
    unanswered,
    lateThresholdMs: LATE_MS,
    sendLagMs: { p50: r3(lagP50), p99: r3(lagP99), max: r3(lagMax) },
    latencyPer: perRecord ? 'record' : 'request',
    ...(timeline ? { timeline: timeline.summary() } : {}),
  };
  const [p90] = latencies.percentiles([0.9]);
  return { ...result, latencyMs: { ...result.latencyMs, p90: r3(p90) }, openLoop };
}
