import { useState } from 'react';
import { api, enc } from '../api';
import { useAction, useLoad } from '../hooks';

interface Acl { resourceType: string; resourceName: string; patternType: string; principal: string; host: string; operation: string; permissionType: string }
interface User { user: string; credentials: { mechanism: string; iterations: number }[] }

const OPERATIONS = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'];
const RESOURCES = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'USER'];

/** ACLs (Describe/Create/DeleteAcls) and SCRAM users (Describe/AlterUserScramCredentials). */
export function SecurityPage() {
  return (
    <>
      <h1>ACLs and users</h1>
      <Acls />
      <Users />
    </>
  );
}

function Acls() {
  const { data, error, reload } = useLoad(() => api.get<Acl[]>('/acls'), []);
  const [form, setForm] = useState<Acl>({ resourceType: 'TOPIC', resourceName: '', patternType: 'LITERAL', principal: 'User:', host: '*', operation: 'READ', permissionType: 'ALLOW' });
  const action = useAction();
  const set = (k: keyof Acl) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const create = async () => {
    if (await action.run(() => api.post('/acls', form))) reload();
  };
  const remove = async (a: Acl) => {
    if (await action.run(() => api.post('/acls/delete', a))) reload();
  };
  return (
    <>
      <h2>ACLs</h2>
      {error && <div className="error">{error}</div>}
      <div className="panel">
        <div className="row">
          <label>Principal<input data-testid="acl-principal" value={form.principal} onChange={set('principal')} /></label>
          <label>Permission<select data-testid="acl-permission" value={form.permissionType} onChange={set('permissionType')}><option>ALLOW</option><option>DENY</option></select></label>
          <label>Operation<select data-testid="acl-operation" value={form.operation} onChange={set('operation')}>{OPERATIONS.map((o) => <option key={o}>{o}</option>)}</select></label>
          <label>Resource<select data-testid="acl-resource-type" value={form.resourceType} onChange={set('resourceType')}>{RESOURCES.map((o) => <option key={o}>{o}</option>)}</select></label>
          <label>Name<input data-testid="acl-resource-name" value={form.resourceName} onChange={set('resourceName')} placeholder="orders, or * for all" /></label>
          <label>Pattern<select data-testid="acl-pattern" value={form.patternType} onChange={set('patternType')}><option>LITERAL</option><option>PREFIXED</option></select></label>
          <label>Host<input value={form.host} onChange={set('host')} size={8} /></label>
          <button type="button" disabled={action.busy} data-testid="acl-create" onClick={() => void create()}>Add ACL</button>
        </div>
        {action.error && <div className="error" data-testid="acl-error">{action.error}</div>}
      </div>
      <table data-testid="acls-table">
        <thead><tr><th>Principal</th><th>Permission</th><th>Operation</th><th>Resource</th><th>Pattern</th><th>Host</th><th></th></tr></thead>
        <tbody>
          {(data ?? []).map((a, i) => (
            <tr key={i}>
              <td>{a.principal}</td><td>{a.permissionType}</td><td>{a.operation}</td><td>{a.resourceType} {a.resourceName}</td><td>{a.patternType}</td><td>{a.host}</td>
              <td><button className="secondary" onClick={() => void remove(a)}>Delete</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Users() {
  const { data, error, reload } = useLoad(() => api.get<User[]>('/users'), []);
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [mechanism, setMechanism] = useState('SCRAM-SHA-512');
  const action = useAction();
  const create = async () => {
    if (await action.run(() => api.post('/users', { user, password, mechanism }))) {
      setPassword('');
      reload();
    }
  };
  return (
    <>
      <h2>SCRAM users</h2>
      {error && <div className="error">{error}</div>}
      <div className="panel">
        <div className="row">
          <label>User<input data-testid="user-name" value={user} onChange={(e) => setUser(e.target.value)} /></label>
          <label>Password<input data-testid="user-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" /></label>
          <label>Mechanism<select data-testid="user-mechanism" value={mechanism} onChange={(e) => setMechanism(e.target.value)}><option>SCRAM-SHA-512</option><option>SCRAM-SHA-256</option></select></label>
          <button type="button" disabled={action.busy || !user || !password} data-testid="user-create" onClick={() => void create()}>Create or update</button>
        </div>
        {action.error && <div className="error" data-testid="user-error">{action.error}</div>}
      </div>
      <table data-testid="users-table">
        <thead><tr><th>User</th><th>Credentials</th><th></th></tr></thead>
        <tbody>
          {(data ?? []).map((u) => (
            <tr key={u.user} data-testid={`user-row-${u.user}`}>
              <td>{u.user}</td><td>{u.credentials.map((c) => `${c.mechanism} (${c.iterations} iterations)`).join(', ')}</td>
              <td><button className="secondary" onClick={() => void action.run(() => api.del(`/users/${enc(u.user)}`)).then((r) => { if (r) reload(); })}>Delete</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
