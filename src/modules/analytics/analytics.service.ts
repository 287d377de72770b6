import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import { createAnalyticsRepository, type CampaignAggregateRow, type CampaignLeadRow } from './analytics.repository.js';
import type { CampaignGroup, CampaignLead, CampaignRow } from './analytics.schemas.js';
import { windowIsOrdered, type DateWindow } from '../../http/date-window.js';

/** Seed 001: the drilldown answers at most 500 leads. */
export const CAMPAIGN_LEADS_CAP = 500;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toCampaignRow(r: CampaignAggregateRow): CampaignRow {
  return { ...r, first_event_at: iso(r.first_event_at), last_event_at: iso(r.last_event_at) };
}

/** account_name stays null until accounts exist as records of their own (docs/analytics.md). */
function toCampaignLead(r: CampaignLeadRow): CampaignLead {
  return { ...r, account_name: null, first_touch_at: iso(r.first_touch_at), last_touch_at: iso(r.last_touch_at) };
}

function checkWindow(w: DateWindow): void {
  if (!windowIsOrdered(w)) {
    throw new AppError('validation_failed', 'start_date is after end_date', [{ field: 'querystring.start_date', message: 'start_date is after end_date' }]);
  }
}

/** UTM campaign analytics (seed 001): read-only, one SQL statement per answer. */
export function createAnalyticsService(deps: { db: Db }) {
  const repo = createAnalyticsRepository(deps.db);
  return {
    async campaigns(t: Tenant, group: CampaignGroup, w: DateWindow) {
      checkWindow(w);
      return { group_by: group, campaigns: (await repo.campaigns(t, group, w)).map(toCampaignRow) };
    },
    async campaignLeads(t: Tenant, group: CampaignGroup, name: string, w: DateWindow) {
      checkWindow(w);
      return { campaign_name: name, leads: (await repo.campaignLeads(t, group, name, w, CAMPAIGN_LEADS_CAP)).map(toCampaignLead) };
    },
  };
}
