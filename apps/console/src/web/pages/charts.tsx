import { api } from '../api';
import { useLoad } from '../hooks';
import { LineChart, type Series } from '../line-chart';

interface ChartData { source: 'prometheus' | 'console'; sourceError: string | null; intervalMs: number; lastSampleAt: number | null; lastError: string | null; series: { name: string; points: { t: number; v: number }[] }[] }

const pick = (data: ChartData | null, prefix: string): Series[] =>
  (data?.series ?? []).filter((s) => s.name.startsWith(prefix) && s.name.slice(prefix.length).indexOf(':') < 0)
    .map((s) => ({ label: s.name.slice(prefix.length), points: s.points }));

/** Throughput and lag over time: from Prometheus when the console has one, else its own sampling. */
export function ChartsPage() {
  const { data, error } = useLoad(() => api.get<ChartData>('/charts'), [], 5000);
  const hideInternal = (s: Series) => !s.label.startsWith('__');
  return (
    <>
      <h1>Charts</h1>
      {error && <div className="error">{error}</div>}
      {data?.lastError && <div className="error">Last sample failed: {data.lastError}</div>}
      {data?.sourceError && <div className="error">Prometheus did not answer, showing the console's own samples: {data.sourceError}</div>}
      <p className="muted" data-testid="chart-source">
        {data?.source === 'prometheus'
          ? `From Prometheus (the brokers' metrics), a point every ${data.intervalMs / 1000} s; only the topics and groups you may describe.`
          : `Sampled by the console every ${data ? data.intervalMs / 1000 : '…'} s with your own permissions; kept in memory.`}
      </p>
      <h2>Messages in per second, by topic</h2>
      <LineChart series={pick(data, 'topic.messagesInPerSec:').filter(hideInternal)} yLabel="messages/s" testid="chart-messages-in" />
      <h2>Bytes in per second, by topic ({data?.source === 'prometheus' ? 'record batches appended' : 'growth of the log on disk'})</h2>
      <LineChart series={pick(data, 'topic.bytesInPerSec:').filter(hideInternal)} yLabel="bytes/s" testid="chart-bytes-in" />
      <h2>Consumer group lag</h2>
      <LineChart series={pick(data, 'group.lag:')} yLabel="messages behind" testid="chart-group-lag" />
    </>
  );
}
