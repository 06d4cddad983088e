import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { useAction } from '../hooks';

/** SASL login: the console opens the cluster connections as this user, so its ACLs apply. */
export function LoginPage({ mechanism, onLogin }: { mechanism: string; onLogin: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await action.run(() => api.post('/auth/login', { username, password }));
    if (ok) onLogin();
  };
  return (
    <form className="login" onSubmit={(e) => void submit(e)}>
      <h1>DMS console</h1>
      <div className="muted">Sign in with your Kafka user ({mechanism}).</div>
      <label>Username<input data-testid="login-username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" /></label>
      <label>Password<input data-testid="login-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" /></label>
      {action.error && <div className="error" data-testid="login-error">{action.error}</div>}
      <button type="submit" disabled={action.busy} data-testid="login-submit">Sign in</button>
    </form>
  );
}
