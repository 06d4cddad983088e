import { useState, type FormEvent } from 'react';
import { api, formatBytes } from '../api';
import { useAction, useLoad } from '../hooks';

interface Rendered { size: number; text: string | null; json: string | null; hex: string }
interface BrowsedRecord {
  partition: number;
  offset: string;
  timestamp: number;
  timestampType: string;
  compression: string;
  key: Rendered | null;
  value: Rendered | null;
  headers: { key: string; value: Rendered | null }[];
}
interface SearchResult { records: BrowsedRecord[]; scannedBytes: number; scannedRecords: number; complete: boolean; resumeAt: Record<string, string> }

type View = 'text' | 'json' | 'hex';

function show(r: Rendered | null, view: View): string {
  if (r === null) return 'null';
  if (view === 'hex') return r.hex;
  if (view === 'json') return r.json ?? r.text ?? r.hex;
  return r.text ?? r.hex;
}

/** datetime-local value (local time) for a Date. */
const localInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

export function MessagesPage({ topic: initialTopic }: { topic?: string }) {
  const topics = useLoad(() => api.get<{ name: string; partitions: number }[]>('/topics'), []);
  const [topic, setTopic] = useState(initialTopic ?? '');
  const [mode, setMode] = useState<'offset' | 'time' | 'key'>('offset');
  const [partition, setPartition] = useState('0');
  const [offset, setOffset] = useState('0');
  const [from, setFrom] = useState(localInput(new Date(Date.now() - 3_600_000)));
  const [to, setTo] = useState('');
  const [key, setKey] = useState('');
  const [limit, setLimit] = useState('50');
  const [view, setView] = useState<View>('text');
  const [result, setResult] = useState<SearchResult | null>(null);
  const action = useAction();
  const search = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { mode, topic, limit };
    if (mode === 'offset') Object.assign(body, { partition, offset });
    if (mode === 'time') Object.assign(body, { from: new Date(from).getTime(), to: to ? new Date(to).getTime() : '' });
    if (mode === 'key') Object.assign(body, { key });
    const r = await action.run(() => api.post<SearchResult>('/messages/search', body));
    if (r) setResult(r);
  };
  return (
    <>
      <h1>Messages</h1>
      <form className="panel" onSubmit={(e) => void search(e)}>
        <b>Find messages</b>
        <div className="row">
          <label>Topic
            <select data-testid="search-topic" value={topic} onChange={(e) => setTopic(e.target.value)} required>
              <option value="">choose…</option>
              {(topics.data ?? []).map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
            </select>
          </label>
          <label>Find by
            <select data-testid="search-mode" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)}>
              <option value="offset">partition and offset</option>
              <option value="time">time range</option>
              <option value="key">key</option>
            </select>
          </label>
          {mode === 'offset' && <>
            <label>Partition<input data-testid="search-partition" value={partition} onChange={(e) => setPartition(e.target.value)} size={4} /></label>
            <label>From offset<input data-testid="search-offset" value={offset} onChange={(e) => setOffset(e.target.value)} size={10} /></label>
          </>}
          {mode === 'time' && <>
            <label>From<input data-testid="search-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} /></label>
            <label>To (empty: now)<input data-testid="search-to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} /></label>
          </>}
          {mode === 'key' && <label>Key<input data-testid="search-key" value={key} onChange={(e) => setKey(e.target.value)} /></label>}
          <label>Max results<input data-testid="search-limit" value={limit} onChange={(e) => setLimit(e.target.value)} size={4} /></label>
          <button type="submit" disabled={action.busy || !topic} data-testid="search-submit">Search</button>
        </div>
      </form>
      {action.error && <div className="error" data-testid="search-error">{action.error}</div>}
      {result && (
        <>
          <div className="row">
            <span data-testid="search-summary">{result.records.length} record(s); read {formatBytes(result.scannedBytes)} ({result.scannedRecords} records){result.complete ? ', whole range searched' : ', stopped at a limit'}.</span>
            <label>Show values as
              <select data-testid="value-view" value={view} onChange={(e) => setView(e.target.value as View)}>
                <option value="text">text</option><option value="json">JSON</option><option value="hex">hex</option>
              </select>
            </label>
          </div>
          <table data-testid="search-results">
            <thead><tr><th>Partition</th><th>Offset</th><th>Timestamp</th><th>Key</th><th>Value</th><th>Headers</th></tr></thead>
            <tbody>
              {result.records.map((r) => (
                <tr key={`${r.partition}-${r.offset}`} data-testid="message-row">
                  <td>{r.partition}</td>
                  <td>{r.offset}</td>
                  <td title={r.timestampType}>{new Date(r.timestamp).toISOString()}</td>
                  <td><pre data-testid="message-key">{show(r.key, view === 'json' ? 'text' : view)}</pre></td>
                  <td><pre data-testid="message-value">{show(r.value, view)}</pre><span className="muted">{r.value ? formatBytes(r.value.size) : ''}{r.compression !== 'none' ? `, ${r.compression}` : ''}</span></td>
                  <td>{r.headers.map((h, i) => <div key={i}><b>{h.key}</b>: <code>{show(h.value, view === 'json' ? 'text' : view)}</code></div>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <Producer topics={(topics.data ?? []).map((t) => t.name)} initialTopic={initialTopic} />
    </>
  );
}

function Producer({ topics, initialTopic }: { topics: string[]; initialTopic?: string }) {
  const [topic, setTopic] = useState(initialTopic ?? '');
  const [partition, setPartition] = useState('');
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [format, setFormat] = useState<View>('text');
  const [headers, setHeaders] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const hs = headers.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const eq = l.indexOf('=');
      return eq < 0 ? { key: l, value: null } : { key: l.slice(0, eq), value: l.slice(eq + 1) };
    });
    const r = await action.run(() => api.post<{ partition: number; offset: string }>('/messages/produce', { topic, partition, key, value, valueFormat: format, headers: hs }));
    if (r) setDone(`Produced ${key ? `key ${key} ` : ''}to ${topic} partition ${r.partition} at offset ${r.offset}.`);
  };
  return (
    <form className="panel" onSubmit={(e) => void submit(e)}>
      <b>Produce a message</b>
      <div className="row">
        <label>Topic
          <select data-testid="produce-topic" value={topic} onChange={(e) => setTopic(e.target.value)} required>
            <option value="">choose…</option>
            {topics.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        <label>Partition<input data-testid="produce-partition" value={partition} onChange={(e) => setPartition(e.target.value)} placeholder="by key" size={6} /></label>
        <label>Key<input data-testid="produce-key" value={key} onChange={(e) => setKey(e.target.value)} /></label>
        <label>Value as
          <select data-testid="produce-format" value={format} onChange={(e) => setFormat(e.target.value as View)}>
            <option value="text">text</option><option value="json">JSON</option><option value="hex">hex</option>
          </select>
        </label>
      </div>
      <div className="row">
        <label>Value<textarea data-testid="produce-value" value={value} onChange={(e) => setValue(e.target.value)} /></label>
        <label>Headers (key=value per line)<textarea data-testid="produce-headers" value={headers} onChange={(e) => setHeaders(e.target.value)} /></label>
        <button type="submit" disabled={action.busy || !topic} data-testid="produce-submit">Produce</button>
      </div>
      {action.error && <div className="error" data-testid="produce-error">{action.error}</div>}
      {done && <div className="notice" data-testid="produce-done">{done}</div>}
    </form>
  );
}
