import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, messageOf, onUnauthorized, post } from './api';
import { connectLive, disconnectLive } from './live';
import { routeOf, Screen, useHashRoute } from './routes';
import { Login } from './screens/Login';
import { Shell } from './Shell';
import type { Me, OrgUnits, Unit } from './types';
import './style.css';

const OU_KEY = 'leadvibe.activeOu';

export interface Session {
  me: Me;
  units: Unit[];
  unit: Unit;
  organization: string;
}

/** Picks the OU to work in (the last one chosen here, else the first) and tells the server (activeOu cookie). */
async function startSession(preferred: string | null): Promise<Session | null> {
  const me = await get<Me>('/auth/me');
  const { units, organization } = await get<OrgUnits>('/org-units');
  const unit = units.find((u) => u.unit_id === preferred) ?? units[0];
  if (!unit) return null;
  await post('/org-units/active', { ouId: unit.unit_id });
  localStorage.setItem(OU_KEY, unit.unit_id);
  return { me, units, unit, organization: organization.name };
}

function App() {
  const [session, setSession] = useState<Session | null | 'loading' | 'out'>('loading');
  const [error, setError] = useState('');
  const route = useHashRoute();

  const begin = (preferred = localStorage.getItem(OU_KEY)) => {
    startSession(preferred).then(
      (s) => {
        setError(s ? '' : 'you belong to no organization unit yet: ask an organization admin to add you to one');
        setSession(s ?? 'out');
        if (s) connectLive();
      },
      (err: unknown) => {
        setError(err instanceof ApiError && err.status === 401 ? '' : messageOf(err));
        setSession('out');
      },
    );
  };
  useEffect(() => {
    begin();
    return onUnauthorized(() => {
      disconnectLive();
      setSession('out');
    });
  }, []);

  if (session === 'loading') return <p class="status" role="status">Loading…</p>;
  if (session === 'out' || session === null)
    return (
      <>
        {error && <p class="error" role="alert">{error}</p>}
        <Login onSignedIn={() => begin()} />
      </>
    );
  return (
    <Shell
      session={session}
      route={routeOf(route)}
      onSwitch={async (unitId) => {
        await post('/org-units/active', { ouId: unitId });
        localStorage.setItem(OU_KEY, unitId);
        setSession({ ...session, unit: session.units.find((u) => u.unit_id === unitId) ?? session.unit });
        connectLive();
        if (route.startsWith('#/leads/')) location.hash = '#/leads';
      }}
      onCreateUnit={async (name) => {
        const created = await post<Unit>('/org-units', { name });
        const { units } = await get<OrgUnits>('/org-units');
        setSession((old) => (typeof old === 'object' && old !== null ? { ...old, units } : old));
        return created.name;
      }}
      onLogout={async () => {
        await post('/auth/logout');
        disconnectLive();
        setSession('out');
      }}
    >
      <Screen route={routeOf(route)} session={session} />
    </Shell>
  );
}

render(<App />, document.getElementById('root')!);
