import { useEffect, useState } from 'preact/hooks';
import type { Session } from './main';
import { CampaignsScreen } from './screens/Campaigns';
import { DealsScreen } from './screens/Deals';
import { FeedScreen } from './screens/Feed';
import { LeadDetail } from './screens/LeadDetail';
import { LeadsScreen } from './screens/Leads';
import { ScoringScreen } from './screens/Scoring';
import { SegmentsScreen } from './screens/Segments';
import { SessionsScreen } from './screens/Sessions';
import { TriggersScreen } from './screens/Triggers';

/** Hash routes: the server serves the page at `/` only, so every screen lives after `#`. */
export const NAV = [
  { path: 'leads', label: 'Leads' },
  { path: 'feed', label: 'Live feed' },
  { path: 'scoring', label: 'Scoring' },
  { path: 'segments', label: 'Segments' },
  { path: 'triggers', label: 'Triggers' },
  { path: 'campaigns', label: 'Campaigns' },
  { path: 'deals', label: 'Deals' },
  { path: 'sessions', label: 'Sessions' },
] as const;

export interface Route {
  name: string;
  param?: string;
}

export function useHashRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

export function routeOf(hash: string): Route {
  const [name = '', param] = hash.replace(/^#\/?/, '').split('/');
  if (name === 'leads' && param) return { name: 'lead', param: decodeURIComponent(param) };
  return { name: NAV.some((n) => n.path === name) ? name : 'leads' };
}

export function Screen({ route, session }: { route: Route; session: Session }) {
  const key = `${session.unit.unit_id}:${route.name}:${route.param ?? ''}`;
  switch (route.name) {
    case 'lead':
      return <LeadDetail key={key} leadId={route.param!} />;
    case 'feed':
      return <FeedScreen key={key} />;
    case 'scoring':
      return <ScoringScreen key={key} />;
    case 'segments':
      return <SegmentsScreen key={key} />;
    case 'triggers':
      return <TriggersScreen key={key} />;
    case 'campaigns':
      return <CampaignsScreen key={key} />;
    case 'deals':
      return <DealsScreen key={key} />;
    case 'sessions':
      return <SessionsScreen key={key} />;
    default:
      return <LeadsScreen key={key} session={session} />;
  }
}
