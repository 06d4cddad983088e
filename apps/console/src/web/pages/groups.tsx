import { useState } from 'react';
import { api, enc } from '../api';
import { useAction, useLoad } from '../hooks';
import { LineChart } from '../line-chart';

interface GroupRow { groupId: string; protocolType: string; state: string; lag: number | null }
interface GroupDetail {
  groupId: string;
  state: string;
  protocol: string;
  members: { memberId: string; clientId: string; clientHost: string; assignment: { topic: string; partitions: number[] }[] }[];
  offsets: { topic: string; partition: number; committedOffset: string | null; logEndOffset: string | null; lag: string | null; memberId: string | null; clientId: string | null }[];
  totalLag: string;
}
interface Planned { topic: string; partition: number; currentOffset: string | null; newOffset: string; change: string | null; lagAfter: string }
interface ChartData { source?: 'prometheus' | 'console'; sourceError?: string | null; series: { name: string; points: { t: number; v: number }[] }[] }

export function GroupsPage({ group }: { group?: string }) {
  return group ? <GroupView group={group} /> : <GroupList />;
}

function GroupList() {
  const { data, error } = useLoad(() => api.get<GroupRow[]>('/groups'), [], 5000);
  return (
    <>
      <h1>Consumer groups</h1>
      {error && <div className="error">{error}</div>}
      <table data-testid="groups-table">
        <thead><tr><th>Group</th><th>State</th><th>Protocol type</th><th>Lag (last sample)</th></tr></thead>
        <tbody>
          {(data ?? []).map((g) => (
            <tr key={g.groupId} className="clickable" data-testid={`group-row-${g.groupId}`} onClick={() => { window.location.hash = `#/groups/${enc(g.groupId)}`; }}>
              <td>{g.groupId}</td><td><StateTag state={g.state} /></td><td>{g.protocolType || '—'}</td><td>{g.lag ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.length === 0 && <p className="muted">No consumer groups you may see.</p>}
    </>
  );
}

function StateTag({ state }: { state: string }) {
  return <span className={`tag ${state === 'Stable' ? 'ok' : state === 'Empty' ? '' : 'warn'}`} data-testid="group-state">{state}</span>;
}

function GroupView({ group }: { group: string }) {
  const { data, error, reload } = useLoad(() => api.get<GroupDetail>(`/groups/${enc(group)}`), [group], 5000);
  const chart = useLoad(() => api.get<ChartData>(`/charts?prefix=${enc(`group.lag:${group}`)}`), [group], 5000);
  const series = (chart.data?.series ?? [])
    .filter((s) => s.name === `group.lag:${group}` || s.name.startsWith(`group.lag:${group}:`))
    .map((s) => ({ label: s.name === `group.lag:${group}` ? 'total lag' : s.name.slice(`group.lag:${group}:`.length), points: s.points }));
  return (
    <>
      <h1><a href="#/groups">Consumer groups</a> / {group}</h1>
      {error && <div className="error">{error}</div>}
      {data && (
        <>
          <div className="cards">
            <div className="card"><div className="label">State</div><div className="value"><StateTag state={data.state} /></div></div>
            <div className="card"><div className="label">Members</div><div className="value" data-testid="group-members-count">{data.members.length}</div></div>
            <div className="card"><div className="label">Total lag</div><div className="value" data-testid="group-total-lag">{data.totalLag}</div></div>
            <div className="card"><div className="label">Assignor</div><div className="value">{data.protocol || '—'}</div></div>
          </div>
          <LineChart series={series} yLabel="messages behind" testid="group-lag-chart" />
          <p className="muted">Lag over time {chart.data?.source === 'prometheus' ? 'from Prometheus (kafka_consumergroup_lag)' : "from the console's own sampling"}{chart.data?.sourceError ? ` (Prometheus did not answer: ${chart.data.sourceError})` : ''}.</p>
          <h2>Members</h2>
          <table data-testid="members-table">
            <thead><tr><th>Member</th><th>Client id</th><th>Host</th><th>Assignment</th></tr></thead>
            <tbody>
              {data.members.map((m) => (
                <tr key={m.memberId}><td>{m.memberId}</td><td>{m.clientId}</td><td>{m.clientHost}</td><td>{m.assignment.map((a) => `${a.topic}: ${a.partitions.join(', ')}`).join('; ') || '—'}</td></tr>
              ))}
            </tbody>
          </table>
          <h2>Offsets and lag</h2>
          <table data-testid="lag-table">
            <thead><tr><th>Topic</th><th>Partition</th><th>Committed</th><th>Log end</th><th>Lag</th><th>Consumer</th></tr></thead>
            <tbody>
              {data.offsets.map((o) => (
                <tr key={`${o.topic}-${o.partition}`} data-testid={`lag-${o.topic}-${o.partition}`}>
                  <td>{o.topic}</td><td>{o.partition}</td><td data-testid="committed">{o.committedOffset ?? '—'}</td><td>{o.logEndOffset ?? '—'}</td><td>{o.lag ?? '—'}</td><td>{o.clientId ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <ResetOffsets group={group} topics={[...new Set(data.offsets.map((o) => o.topic))]} onApplied={reload} />
        </>
      )}
    </>
  );
}

const localInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

function ResetOffsets({ group, topics, onApplied }: { group: string; topics: string[]; onApplied: () => void }) {
  const [topic, setTopic] = useState(topics[0] ?? '');
  const [strategy, setStrategy] = useState<'earliest' | 'latest' | 'offset' | 'shift' | 'time'>('time');
  const [offset, setOffset] = useState('0');
  const [shiftBy, setShiftBy] = useState('-100');
  const [time, setTime] = useState(localInput(new Date(Date.now() - 3_600_000)));
  const [plan, setPlan] = useState<Planned[] | null>(null);
  const [applied, setApplied] = useState(false);
  const action = useAction();
  const body = (dryRun: boolean) => ({ topic, strategy, offset, shiftBy, timestampMs: new Date(time).getTime(), dryRun });
  const preview = async () => {
    setApplied(false);
    const r = await action.run(() => api.post<{ plan: Planned[] }>(`/groups/${enc(group)}/reset`, body(true)));
    setPlan(r ? r.plan : null);
  };
  const apply = async () => {
    const r = await action.run(() => api.post<{ plan: Planned[] }>(`/groups/${enc(group)}/reset`, body(false)));
    if (r) {
      setPlan(r.plan);
      setApplied(true);
      onApplied();
    }
  };
  return (
    <div className="panel">
      <b>Reset offsets</b>
      <p className="muted">Kafka's rule: only a group without active members can be reset. Preview first (a dry run), then apply.</p>
      <div className="row">
        <label>Topic<input data-testid="reset-topic" value={topic} onChange={(e) => { setTopic(e.target.value); setPlan(null); }} list="group-topics" /></label>
        <datalist id="group-topics">{topics.map((t) => <option key={t} value={t} />)}</datalist>
        <label>To
          <select data-testid="reset-strategy" value={strategy} onChange={(e) => { setStrategy(e.target.value as typeof strategy); setPlan(null); }}>
            <option value="time">a time</option><option value="earliest">earliest</option><option value="latest">latest</option>
            <option value="offset">an offset</option><option value="shift">shift by</option>
          </select>
        </label>
        {strategy === 'time' && <>
          <label>Time<input data-testid="reset-time" type="datetime-local" value={time} onChange={(e) => { setTime(e.target.value); setPlan(null); }} /></label>
          <button type="button" className="secondary" data-testid="reset-hour-ago" onClick={() => { setTime(localInput(new Date(Date.now() - 3_600_000))); setPlan(null); }}>an hour ago</button>
        </>}
        {strategy === 'offset' && <label>Offset<input data-testid="reset-offset" value={offset} onChange={(e) => { setOffset(e.target.value); setPlan(null); }} size={10} /></label>}
        {strategy === 'shift' && <label>Shift by<input data-testid="reset-shift" value={shiftBy} onChange={(e) => { setShiftBy(e.target.value); setPlan(null); }} size={8} /></label>}
        <button type="button" className="secondary" disabled={action.busy || !topic} data-testid="reset-preview" onClick={() => void preview()}>Preview (dry run)</button>
        <button type="button" className="danger" disabled={action.busy || !plan || applied} data-testid="reset-apply" onClick={() => void apply()}>Apply</button>
      </div>
      {action.error && <div className="error" data-testid="reset-error">{action.error}</div>}
      {applied && <div className="notice" data-testid="reset-applied">Offsets committed.</div>}
      {plan && (
        <table data-testid="reset-plan">
          <thead><tr><th>Partition</th><th>Current</th><th>New</th><th>Change</th><th>Lag after</th></tr></thead>
          <tbody>
            {plan.map((p) => <tr key={p.partition} data-testid={`plan-${p.partition}`}><td>{p.partition}</td><td>{p.currentOffset ?? '—'}</td><td data-testid="plan-new">{p.newOffset}</td><td>{p.change ?? '—'}</td><td>{p.lagAfter}</td></tr>)}
          </tbody>
        </table>
      )}
    </div>
  );
}
