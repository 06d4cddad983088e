import { useEffect, useState } from 'react';
import { api } from './api';
import { LoginPage } from './pages/login';
import { OverviewPage } from './pages/overview';
import { TopicsPage } from './pages/topics';
import { MessagesPage } from './pages/messages';
import { GroupsPage } from './pages/groups';
import { SecurityPage } from './pages/security';
import { ChartsPage } from './pages/charts';

interface AuthStatus {
  loginRequired: boolean;
  user: string | null;
  mechanism: string | null;
}

const PAGES = [
  { path: 'overview', title: 'Overview' },
  { path: 'topics', title: 'Topics' },
  { path: 'messages', title: 'Messages' },
  { path: 'groups', title: 'Consumer groups' },
  { path: 'security', title: 'ACLs & users' },
  { path: 'charts', title: 'Charts' },
];

/** `#/topics/orders` → ['topics', 'orders']. */
function useRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function App() {
  const [auth, setAuth] = useState<AuthStatus | null>(null);
  const [authError, setAuthError] = useState<string | null>(null);
  const route = useRoute();
  const refresh = () => api.get<AuthStatus>('/auth/status').then(setAuth, (e: Error) => setAuthError(e.message));
  useEffect(() => {
    void refresh();
    const onLogout = () => void refresh();
    window.addEventListener('dms-logged-out', onLogout);
    return () => window.removeEventListener('dms-logged-out', onLogout);
  }, []);

  if (authError) return <div className="error">{authError}</div>;
  if (!auth) return <div className="muted" style={{ padding: 20 }}>Loading…</div>;
  if (auth.loginRequired && !auth.user) return <LoginPage mechanism={auth.mechanism ?? ''} onLogin={() => void refresh()} />;

  const [page = 'overview', ...rest] = route;
  const logout = async () => {
    await api.post('/auth/logout');
    await refresh();
  };
  return (
    <>
      <header>
        <span className="brand">DMS console</span>
        <nav>
          {PAGES.map((p) => (
            <a key={p.path} href={`#/${p.path}`} className={page === p.path ? 'active' : ''} data-testid={`nav-${p.path}`}>{p.title}</a>
          ))}
        </nav>
        <span className="user">
          {auth.user ? <>signed in as <b data-testid="current-user">{auth.user}</b> <button className="secondary" onClick={() => void logout()} data-testid="logout">Log out</button></> : 'no login (cluster without SASL)'}
        </span>
      </header>
      <main>
        {page === 'overview' && <OverviewPage />}
        {page === 'topics' && <TopicsPage topic={rest[0]} />}
        {page === 'messages' && <MessagesPage topic={rest[0]} />}
        {page === 'groups' && <GroupsPage group={rest[0]} />}
        {page === 'security' && <SecurityPage />}
        {page === 'charts' && <ChartsPage />}
      </main>
    </>
  );
}
