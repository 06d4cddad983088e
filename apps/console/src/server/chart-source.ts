import type { ConsoleResources } from './console-session';
import type { Point as SeriesPoint } from './ring';

/** One chart series: `topic.messagesInPerSec:<topic>`, `group.lag:<group>[:<topic>]` (sampler.ts names). */
export interface ChartSeries {
  name: string;
  points: SeriesPoint[];
}

export interface ChartData {
  /** Where the points come from: Prometheus, or the console's own sampling. */
  source: 'prometheus' | 'console';
  /** Why Prometheus was not used although it is configured (unreachable, bad answer). */
  sourceError: string | null;
  intervalMs: number;
  lastSampleAt: number | null;
  lastError: string | null;
  series: ChartSeries[];
}

export interface ChartQuery {
  prefix: string;
  names?: string[];
}

/** Where the throughput and lag charts come from. */
export interface ChartSource {
  charts(resources: ConsoleResources, q: ChartQuery): Promise<ChartData>;
}

export const MAX_SERIES = 200;

const wanted = (q: ChartQuery) => (name: string) => (q.names ? q.names.includes(name) : name.startsWith(q.prefix));

/** The console's own samples (sampler.ts), taken with the session's own client. */
export function sampledCharts(r: ConsoleResources, q: ChartQuery, sourceError: string | null = null): ChartData {
  const { sampler } = r;
  const names = q.names ? q.names : sampler.store.names(q.prefix);
  return {
    source: 'console',
    sourceError,
    intervalMs: sampler.intervalMs,
    lastSampleAt: sampler.lastSampleAt,
    lastError: sampler.lastError,
    series: names.filter(wanted(q)).slice(0, MAX_SERIES).map((name) => ({ name, points: sampler.store.get(name) })),
  };
}

export { wanted as seriesFilter };
