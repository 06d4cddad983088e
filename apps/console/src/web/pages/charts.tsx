import { api } from '../api';
import { useLoad } from '../hooks';
import { LineChart, type Series } from '../line-chart';

interface ChartData { intervalMs: number; lastSampleAt: number | null; lastError: string | null; series: { name: string; points: { t: number; v: number }[] }[] }

const pick = (data: ChartData | null, prefix: string): Series[] =>
  (data?.series ?? []).filter((s) => s.name.startsWith(prefix) && s.name.slice(prefix.length).indexOf(':') < 0)
    .map((s) => ({ label: s.name.slice(prefix.length), points: s.points }));

/** Throughput and lag over time from the console's own sampling (no Prometheus needed). */
export function ChartsPage() {
  const { data, error } = useLoad(() => api.get<ChartData>('/charts'), [], 5000);
  const hideInternal = (s: Series) => !s.label.startsWith('__');
  return (
    <>
      <h1>Charts</h1>
      {error && <div className="error">{error}</div>}
      {data?.lastError && <div className="error">Last sample failed: {data.lastError}</div>}
      <p className="muted">Sampled by the console every {data ? data.intervalMs / 1000 : '…'} s with your own permissions; kept in memory.</p>
      <h2>Messages in per second, by topic</h2>
      <LineChart series={pick(data, 'topic.messagesInPerSec:').filter(hideInternal)} yLabel="messages/s" testid="chart-messages-in" />
      <h2>Bytes in per second, by topic (growth of the log on disk)</h2>
      <LineChart series={pick(data, 'topic.bytesInPerSec:').filter(hideInternal)} yLabel="bytes/s" testid="chart-bytes-in" />
      <h2>Consumer group lag</h2>
      <LineChart series={pick(data, 'group.lag:')} yLabel="messages behind" testid="chart-group-lag" />
    </>
  );
}
