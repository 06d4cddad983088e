import { useState, type FormEvent } from 'react';
import { api, enc, formatBytes } from '../api';
import { useAction, useLoad } from '../hooks';

interface TopicRow {
  name: string;
  internal: boolean;
  partitions: number;
  replicationFactor: number;
  underReplicated: number;
  offline: number;
  sizeBytes: number | null;
  endOffsetSum: string;
}

export function TopicsPage({ topic }: { topic?: string }) {
  return topic ? <TopicDetail topic={topic} /> : <TopicList />;
}

function TopicList() {
  const { data, error, reload } = useLoad(() => api.get<TopicRow[]>('/topics'), [], 15_000);
  return (
    <>
      <h1>Topics</h1>
      <CreateTopic onCreated={reload} />
      {error && <div className="error">{error}</div>}
      <table data-testid="topics-table">
        <thead><tr><th>Name</th><th>Partitions</th><th>Replication</th><th>Messages (end offsets)</th><th>Size</th><th>Health</th></tr></thead>
        <tbody>
          {(data ?? []).map((t) => (
            <tr key={t.name} className="clickable" data-testid={`topic-row-${t.name}`} onClick={() => { window.location.hash = `#/topics/${enc(t.name)}`; }}>
              <td>{t.name} {t.internal && <span className="tag">internal</span>}</td>
              <td>{t.partitions}</td>
              <td>{t.replicationFactor}</td>
              <td>{t.endOffsetSum}</td>
              <td>{formatBytes(t.sizeBytes)}</td>
              <td>{t.offline > 0 ? <span className="tag warn">{t.offline} offline</span> : t.underReplicated > 0 ? <span className="tag warn">{t.underReplicated} under-replicated</span> : <span className="tag ok">ok</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.length === 0 && <p className="muted" data-testid="no-topics">No topics you may see.</p>}
    </>
  );
}

/** `k=v` lines into a config map. */
function parseConfigLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`config lines look like key=value, got '${line}'`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

function CreateTopic({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('3');
  const [rf, setRf] = useState('');
  const [configs, setConfigs] = useState('');
  const action = useAction();
  const [done, setDone] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const ok = await action.run(() => api.post('/topics', { name, partitions, replicationFactor: rf, configs: parseConfigLines(configs) }));
    if (ok) {
      setDone(`Created topic ${name}.`);
      setName('');
      onCreated();
    }
  };
  return (
    <form className="panel" onSubmit={(e) => void submit(e)}>
      <b>Create a topic</b>
      <div className="row">
        <label>Name<input data-testid="create-topic-name" value={name} onChange={(e) => setName(e.target.value)} required /></label>
        <label>Partitions<input data-testid="create-topic-partitions" value={partitions} onChange={(e) => setPartitions(e.target.value)} size={5} /></label>
        <label>Replication factor<input data-testid="create-topic-rf" value={rf} onChange={(e) => setRf(e.target.value)} placeholder="default" size={8} /></label>
        <label>Configs (key=value per line)<textarea data-testid="create-topic-configs" value={configs} onChange={(e) => setConfigs(e.target.value)} placeholder="retention.ms=86400000" /></label>
        <button type="submit" disabled={action.busy} data-testid="create-topic-submit">Create</button>
      </div>
      {action.error && <div className="error" data-testid="create-topic-error">{action.error}</div>}
      {done && <div className="notice" data-testid="create-topic-done">{done}</div>}
    </form>
  );
}

interface TopicDetailData {
  name: string;
  topicId: string;
  partitions: { partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[]; endOffset: string | null }[];
  configs: { name: string; value: string | null; source: string; readOnly: boolean; sensitive: boolean }[] | null;
  configsError: string | null;
}

function TopicDetail({ topic }: { topic: string }) {
  const { data, error, reload } = useLoad(() => api.get<TopicDetailData>(`/topics/${enc(topic)}`), [topic]);
  const action = useAction();
  const [count, setCount] = useState('');
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [confirm, setConfirm] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const act = async (f: () => Promise<unknown>, msg: string) => {
    setNotice(null);
    if (await action.run(f)) {
      setNotice(msg);
      reload();
    }
  };
  return (
    <>
      <h1><a href="#/topics">Topics</a> / <span data-testid="topic-title">{topic}</span></h1>
      {error && <div className="error">{error}</div>}
      {action.error && <div className="error" data-testid="topic-action-error">{action.error}</div>}
      {notice && <div className="notice" data-testid="topic-notice">{notice}</div>}
      {data && (
        <>
          <div className="row">
            <a href={`#/messages/${enc(topic)}`}><button className="secondary" type="button">Browse messages</button></a>
          </div>
          <h2>Partitions ({data.partitions.length})</h2>
          <table data-testid="partitions-table">
            <thead><tr><th>Partition</th><th>Leader</th><th>Epoch</th><th>Replicas</th><th>ISR</th><th>End offset</th></tr></thead>
            <tbody>
              {data.partitions.map((p) => (
                <tr key={p.partition}><td>{p.partition}</td><td>{p.leader < 0 ? <span className="tag warn">none</span> : p.leader}</td><td>{p.leaderEpoch}</td><td>{p.replicas.join(', ')}</td><td>{p.isr.join(', ')}</td><td>{p.endOffset ?? '—'}</td></tr>
              ))}
            </tbody>
          </table>
          <form className="row" onSubmit={(e) => { e.preventDefault(); void act(() => api.post(`/topics/${enc(topic)}/partitions`, { count }), `Now ${count} partitions.`); }}>
            <label>Grow to partitions<input data-testid="add-partitions-count" value={count} onChange={(e) => setCount(e.target.value)} size={6} /></label>
            <button type="submit" disabled={action.busy} data-testid="add-partitions-submit">Add partitions</button>
          </form>
          <h2>Configuration</h2>
          {data.configsError && <div className="error">{data.configsError}</div>}
          <form className="row" onSubmit={(e) => { e.preventDefault(); void act(() => api.put(`/topics/${enc(topic)}/configs`, { set: { [key]: value } }), `Set ${key}=${value}.`); }}>
            <label>Key<input data-testid="config-key" value={key} onChange={(e) => setKey(e.target.value)} list="topic-config-keys" /></label>
            <datalist id="topic-config-keys">{(data.configs ?? []).map((c) => <option key={c.name} value={c.name} />)}</datalist>
            <label>Value<input data-testid="config-value" value={value} onChange={(e) => setValue(e.target.value)} /></label>
            <button type="submit" disabled={action.busy || !key} data-testid="config-set">Set</button>
          </form>
          <table data-testid="configs-table">
            <thead><tr><th>Key</th><th>Value</th><th>Source</th><th></th></tr></thead>
            <tbody>
              {(data.configs ?? []).map((c) => (
                <tr key={c.name} data-testid={`config-${c.name}`}>
                  <td>{c.name}</td>
                  <td>{c.sensitive ? '(sensitive)' : c.value ?? '—'}</td>
                  <td><span className={`tag${c.source === 'DYNAMIC_TOPIC_CONFIG' ? ' ok' : ''}`}>{c.source}</span></td>
                  <td>{c.source === 'DYNAMIC_TOPIC_CONFIG' && <button className="secondary" type="button" onClick={() => void act(() => api.put(`/topics/${enc(topic)}/configs`, { remove: [c.name] }), `Reset ${c.name} to its default.`)}>Reset to default</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Delete</h2>
          <div className="row">
            <label>Type the topic name to delete it<input data-testid="delete-confirm" value={confirm} onChange={(e) => setConfirm(e.target.value)} /></label>
            <button className="danger" disabled={confirm !== topic || action.busy} data-testid="delete-topic" onClick={() => void action.run(() => api.del(`/topics/${enc(topic)}`)).then((r) => { if (r) window.location.hash = '#/topics'; })}>Delete topic</button>
          </div>
        </>
      )}
    </>
  );
}
