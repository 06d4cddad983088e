import { api, formatBytes } from '../api';
import { useLoad } from '../hooks';

interface Overview {
  clusterId: string | null;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  topics: number;
  partitions: number;
  underReplicated: number;
  offline: number;
  logDirs: { logDir: string; errorCode: number; partitions: number; bytes: number; totalBytes: number | null; usableBytes: number | null }[] | null;
}

/** Brokers as clients see them (the gateways), controller, partitions and their health. */
export function OverviewPage() {
  const { data, error } = useLoad(() => api.get<Overview>('/overview'), [], 10_000);
  return (
    <>
      <h1>Cluster overview</h1>
      {error && <div className="error">{error}</div>}
      {data && (
        <>
          <div className="cards">
            <Card label="Cluster id" value={data.clusterId ?? '—'} />
            <Card label="Brokers" value={data.brokers.length} testid="overview-brokers" />
            <Card label="Controller" value={data.controllerId} />
            <Card label="Topics" value={data.topics} testid="overview-topics" />
            <Card label="Partitions" value={data.partitions} testid="overview-partitions" />
            <Card label="Under-replicated" value={data.underReplicated} bad={data.underReplicated > 0} testid="overview-urp" />
            <Card label="Offline" value={data.offline} bad={data.offline > 0} testid="overview-offline" />
          </div>
          <h2>Brokers</h2>
          <table data-testid="brokers-table">
            <thead><tr><th>Id</th><th>Address</th><th>Rack</th><th>Role</th></tr></thead>
            <tbody>
              {data.brokers.map((b) => (
                <tr key={b.nodeId}><td>{b.nodeId}</td><td>{b.host}:{b.port}</td><td>{b.rack ?? '—'}</td><td>{b.nodeId === data.controllerId ? <span className="tag ok">controller</span> : ''}</td></tr>
              ))}
            </tbody>
          </table>
          <p className="muted">Brokers here are the gateways Kafka clients connect to; each forwards to the storage broker leading a partition.</p>
          <h2>Storage</h2>
          {data.logDirs === null ? <p className="muted">Log dirs need DESCRIBE on the cluster.</p> : (
            <table data-testid="logdirs-table">
              <thead><tr><th>Log dir</th><th>Replicas</th><th>Data</th><th>Disk free</th><th>State</th></tr></thead>
              <tbody>
                {data.logDirs.map((d) => (
                  <tr key={d.logDir}>
                    <td data-testid="logdir-path">{d.logDir}</td><td>{d.partitions}</td><td>{formatBytes(d.bytes)}</td>
                    <td>{d.usableBytes === null ? '—' : `${formatBytes(d.usableBytes)} of ${formatBytes(d.totalBytes)}`}</td>
                    <td>{d.errorCode === 0 ? <span className="tag ok">online</span> : <span className="tag warn">error {d.errorCode}</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}

function Card({ label, value, bad, testid }: { label: string; value: string | number; bad?: boolean; testid?: string }) {
  return (
    <div className={`card${bad ? ' bad' : ''}`}>
      <div className="label">{label}</div>
      <div className="value" data-testid={testid}>{value}</div>
    </div>
  );
}
