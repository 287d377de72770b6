import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { messageOf } from './api';
import { liveState, onLiveState } from './live';
import type { Session } from './main';
import { NAV, type Route } from './routes';
import { NewUnit } from './ui/NewUnit';

interface ShellProps {
  session: Session;
  route: Route;
  onSwitch: (unitId: string) => Promise<void>;
  /** Creates an OU and refreshes the switcher's list; answers the new OU's name. */
  onCreateUnit: (name: string) => Promise<string>;
  onLogout: () => Promise<void>;
  children: ComponentChildren;
}

function LiveBadge() {
  const [live, setLive] = useState(liveState());
  useEffect(() => onLiveState(() => setLive(liveState())), []);
  const label = { connecting: 'Connecting…', open: 'Live', retrying: 'Reconnecting…', ended: 'Offline' }[live.state];
  return (
    <span class={`badge live-${live.state}`} title={live.reason || undefined}>
      {label}
    </span>
  );
}

export function Shell({ session, route, onSwitch, onCreateUnit, onLogout, children }: ShellProps) {
  const [error, setError] = useState('');
  const current = route.name === 'lead' ? 'leads' : route.name;
  const act = (work: () => Promise<void>) => {
    setError('');
    work().catch((err: unknown) => setError(messageOf(err)));
  };
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <strong class="brand">Leadvibe</strong>
        <label class="ou">
          <span>Organization unit</span>
          <select value={session.unit.unit_id} onChange={(e) => act(() => onSwitch((e.target as HTMLSelectElement).value))}>
            {session.units.map((u) => (
              <option key={u.unit_id} value={u.unit_id}>
                {u.name} ({u.role})
              </option>
            ))}
          </select>
        </label>
        {session.me.role === 'admin' && <NewUnit onCreate={onCreateUnit} />}
        <LiveBadge />
        <span class="who" title={session.organization}>{session.me.email}</span>
        <button type="button" onClick={() => act(onLogout)}>
          Log out
        </button>
      </header>
      <nav aria-label="Screens">
        <ul>
          {NAV.map((n) => (
            <li key={n.path}>
              <a href={`#/${n.path}`} aria-current={current === n.path ? 'page' : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {error && <p class="error" role="alert">{error}</p>}
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
