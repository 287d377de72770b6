import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { uniqueEmail } from '../helpers/factories.js';
import { listenLocally } from '../helpers/sse.js';
import { ensureDashboardBuilt } from '../helpers/dashboard.js';
import { chromiumPath, collectConsoleErrors, launch, shot } from './browser.js';

if (!chromiumPath) {
  console.warn('test/browser/dashboard.test.ts skipped: no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)');
}

const ctx = setupTestApp({ SSE_HEARTBEAT_MS: '1000' });
let base = '';
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleErrors: string[] = [];

/** One API call as the signed-in browser (its session and activeOu cookies). */
async function api(method: 'GET' | 'POST' | 'PUT', path: string, data?: unknown) {
  const res = await context.request.fetch(`${base}${path}`, { method, data, headers: { accept: 'application/json' } });
  expect(res.status(), `${method} ${path}: ${await res.text()}`).toBeLessThan(300);
  return res.json();
}

async function unscoredEvents(leadId: string): Promise<number> {
  const events = (await api('GET', `/leads/${leadId}/events?limit=500`)) as Array<{ scored_at: string | null }>;
  return events.filter((e) => e.scored_at === null).length;
}

/** Resolves once the element's text stayed the same for two seconds. */
async function untilQuiet(locator: Locator): Promise<void> {
  let last = '';
  await expect
    .poll(async () => {
      const now = (await locator.textContent()) ?? '';
      const same = now === last;
      last = now;
      return same;
    }, { timeout: 90_000, interval: 2000 })
    .toBe(true);
}

const ingest = (leadId: string, eventType: string) => api('POST', '/events', { lead_id: leadId, event_type: eventType });

describe.skipIf(!chromiumPath)('dashboard in Chromium', () => {
  beforeAll(async () => {
    ensureDashboardBuilt();
    base = await listenLocally(ctx.app);
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    consoleErrors = collectConsoleErrors(page);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('signs up, loads sample data and shows the leads', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await shot(page, '01-login');
    await page.getByRole('button', { name: 'New here? Sign up' }).click();
    await page.getByLabel('Organization', { exact: true }).fill('Browser Co');
    await page.getByLabel('First name', { exact: true }).fill('Bea');
    await page.getByLabel('Last name', { exact: true }).fill('Browser');
    await page.getByLabel('Email', { exact: true }).fill(uniqueEmail('browser'));
    await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
    await shot(page, '02-signup');
    await page.getByRole('button', { name: 'Sign up' }).click();

    await page.getByRole('heading', { name: 'No leads in this OU yet' }).waitFor();
    await expect.poll(() => page.locator('.badge').textContent()).toBe('Live');
    await shot(page, '03-leads-empty');
    // PGlite runs in this process: seeding holds its event loop, and Playwright's with it. A page-side
    // observer notes whether the progress state was shown, whenever the test gets to look.
    await page.evaluate(() => {
      const w = window as unknown as { sawProgress: boolean };
      w.sawProgress = false;
      new MutationObserver(() => {
        if (document.querySelector('progress')?.getAttribute('aria-label')?.startsWith('Loading sample data')) w.sawProgress = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.getByRole('button', { name: 'Load sample data' }).click({ timeout: 90_000 });
    await page.locator('table caption').filter({ hasText: '200 leads' }).waitFor({ timeout: 90_000 });
    expect(await page.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress)).toBe(true);
    expect((await api('GET', '/leads?limit=1')).total).toBe(200);
    expect(await page.locator('tbody tr').count()).toBe(25);
    await shot(page, '04-leads');
  }, 180_000);

  it('shows an ingested event in the live feed and the new score in the table, without reload', async () => {
    const leadId = (await page.locator('tbody tr').first().getAttribute('data-lead'))!;
    const row = page.locator(`tr[data-lead="${leadId}"]`);
    // The worker scores the sample in the background, and the table follows it live: wait for this lead.
    await expect.poll(() => unscoredEvents(leadId), { timeout: 60_000, interval: 500 }).toBe(0);
    const before = (await api('GET', `/leads/${leadId}/score`)).score as number;
    await expect.poll(() => row.locator('.score').textContent().then(Number), { timeout: 10_000 }).toBe(before);
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));

    await ingest(leadId, 'demo_request'); // a sample rule worth 30 points
    await expect.poll(() => row.locator('.score').textContent().then(Number), { timeout: 60_000 }).toBeGreaterThan(before);
    const after = Number(await row.locator('.score').textContent());
    expect(after).toBe((await api('GET', `/leads/${leadId}/score`)).score);
    expect(after).toBeGreaterThanOrEqual(before + 30);
    await shot(page, '05-leads-live-score');

    await page.getByRole('link', { name: 'Live feed' }).click();
    const feed = page.getByRole('log', { name: 'Live activity' });
    await feed.locator('li').first().waitFor();
    await untilQuiet(feed.locator('li').first()); // the sample's scoring backlog fills the feed's 200 places
    const mine = (name: string) => feed.locator(`li[data-event="${name}"][data-lead="${leadId}"]`);
    // The feed keeps the newest 200 messages, so counts can stay level as old ones drop out: the
    // two newest messages, once the stream is quiet, are this ingest's event and its score.
    const newest = async () =>
      (await Promise.all([0, 1].map(async (n) => {
        const li = feed.locator('li').nth(n);
        const event = await li.getAttribute('data-event');
        // The earlier demo_request left the same pair on top: the event must be this page_view.
        const type = event === 'event_ingested' && (await li.textContent())?.includes('page_view') ? ':page_view' : '';
        return `${event}:${await li.getAttribute('data-lead')}${type}`;
      }))).sort();
    await ingest(leadId, 'page_view');
    await expect.poll(newest, { timeout: 60_000 }).toEqual([`event_ingested:${leadId}:page_view`, `score_update:${leadId}`]);
    expect(await mine('event_ingested').count()).toBeGreaterThan(0);
    expect(await feed.locator('li').first().getAttribute('data-lead')).toBe(leadId);
    await shot(page, '06-live-feed');
    expect(navigations.filter((u) => !u.includes('#'))).toEqual([]);
  }, 180_000);

  it('shows a trigger firing in the live feed and on the triggers screen as it happens, without reload', async () => {
    const [first, second] = (await api('GET', '/leads?limit=2')).leads as Array<{ lead_id: string }>;
    const trigger = await api('POST', '/milestones', { name: 'Browser live milestone', event_type: 'demo_request', score_threshold: 1 });
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    const feed = page.getByRole('log', { name: 'Live activity' });
    const fired = (leadId: string) => feed.locator(`li[data-event="trigger_fired"][data-lead="${leadId}"]`);
    await ingest(first!.lead_id, 'demo_request');
    await expect.poll(() => fired(first!.lead_id).count(), { timeout: 60_000 }).toBe(1);
    const text = (await fired(first!.lead_id).textContent()) ?? '';
    expect(text).toContain('Trigger');
    expect(text).toContain('“Browser live milestone” (milestone) fired on demo_request');
    const [stored] = (await api('GET', `/milestones/events?trigger_id=${trigger.trigger_id}`)) as Array<{ score: number; lead_id: string }>;
    expect(stored?.lead_id).toBe(first!.lead_id);
    expect(text).toContain(`at score ${stored?.score}: 0 deliveries queued`);
    await page.getByLabel('Show').selectOption('trigger_fired');
    expect(await feed.locator('li').count()).toBe(1);
    await shot(page, '06b-live-feed-trigger');
    await page.getByLabel('Show').selectOption('');

    // The triggers screen lists the stored firing, then shows the next one as it happens.
    await page.getByRole('link', { name: 'Triggers', exact: true }).click();
    const firings = page.getByRole('table', { name: 'Recent firings' });
    await firings.locator('tr', { hasText: 'Browser live milestone' }).first().waitFor();
    expect(await firings.locator('tbody tr').count()).toBe(1);
    await ingest(second!.lead_id, 'demo_request');
    await expect.poll(() => firings.locator('tbody tr').count(), { timeout: 60_000 }).toBe(2);
    expect(await firings.locator('tbody tr').first().textContent()).toContain('milestone');
    await shot(page, '06c-triggers-live-firing');
    expect(navigations.filter((u) => !u.includes('#'))).toEqual([]);
  }, 120_000);

  it('shows a lead with its chart, and its score moves live', async () => {
    const lead = (await api('GET', '/leads?limit=1')).leads[0];
    await page.evaluate((id) => (location.hash = `#/leads/${encodeURIComponent(id)}`), lead.lead_id);
    const score = page.locator('.lead-score');
    await expect.poll(() => score.textContent().then(Number)).toBe(lead.score);
    await page.locator('.chart canvas').first().waitFor();
    await page.getByRole('heading', { name: 'Aliases' }).waitFor();
    await ingest(lead.lead_id, 'form_submit'); // 15 points
    await expect.poll(() => score.textContent().then(Number), { timeout: 20_000 }).toBeGreaterThan(lead.score);
    await shot(page, '07-lead-detail');
  }, 60_000);

  it('imports a CSV of events, showing the state and the rows the server rejected', async () => {
    await page.getByRole('link', { name: 'Leads', exact: true }).click();
    await page.getByText('Import events from CSV').first().click();
    const form = page.getByRole('form', { name: 'Import events from CSV' });
    const csv = 'event_type,email\npage_view,csv-import-1@example.com\n,no-type@example.com\n';
    await form.getByLabel('CSV file').setInputFiles({ name: 'events.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await form.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('status').filter({ hasText: 'Imported events.csv: 1 rows accepted (0 duplicates), 1 rejected.' }).waitFor();
    expect(await page.getByRole('list', { name: 'Rejected rows' }).textContent()).toContain('Line 3:');
    const hits = (await api('GET', '/leads/search?q=csv-import-1')) as Array<{ alias_value: string | null }>;
    expect(hits.map((h) => h.alias_value)).toEqual(['csv-import-1@example.com']);
    await shot(page, '08-csv-import');
  }, 30_000);

  it('edits a rule', async () => {
    await page.getByRole('link', { name: 'Scoring' }).click();
    const form = page.getByRole('form', { name: 'Rule page_view' });
    await form.getByLabel('Weight').fill('4');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the rule for page_view.' }).waitFor();
    const rules = (await api('GET', '/rules')) as Array<{ event_type: string; weight: number }>;
    expect(rules.find((r) => r.event_type === 'page_view')?.weight).toBe(4);

    await form.getByLabel('Weight').fill('2000000'); // over the API's ±1,000,000
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'weight' }).waitFor();
    expect(((await api('GET', '/rules')) as Array<{ event_type: string; weight: number }>).find((r) => r.event_type === 'page_view')?.weight).toBe(4);
    await shot(page, '09-scoring');
  }, 30_000);

  it('creates a segment and shows its count', async () => {
    await page.getByRole('link', { name: 'Segments' }).click();
    await page.getByRole('form', { name: 'New segment' }).getByLabel('Name').fill('Germany');
    await page.getByRole('button', { name: 'Create segment' }).click();
    const condition = page.getByRole('form', { name: 'New condition for Germany' });
    await condition.getByLabel('Field').fill('country');
    await condition.getByLabel('Value').fill('DE');
    await condition.getByRole('button', { name: 'Add condition' }).click();
    await page.getByRole('status').filter({ hasText: 'Added the condition.' }).waitFor();

    const segment = ((await api('GET', '/segments')) as Array<{ segment_id: string; name: string }>).find((s) => s.name === 'Germany')!;
    const leads = await api('GET', '/leads?limit=500');
    const german = (leads.leads as Array<{ metadata: Record<string, unknown> }>).filter((l) => l.metadata.country === 'DE').length;
    expect((await api('GET', `/segments/${segment.segment_id}/count`)).count).toBe(german);
    await expect.poll(() => page.locator('tr[data-segment="Germany"] .count').textContent()).toBe(String(german));
    await shot(page, '10-segments');
  }, 30_000);

  it('shows triggers, campaigns, deals and session insights from the API', async () => {
    await api('POST', '/milestones', { name: 'Browser milestone', event_type: 'demo_request', score_threshold: 50, emails: ['sales@example.com'] });
    const screens = [
      ['Triggers', '11-triggers', 'main table >> text=Browser milestone'],
      ['Campaigns', '12-campaigns', 'main .chart canvas'],
      ['Deals', '13-deals', 'main table >> text=Closed Won'],
      ['Sessions', '14-sessions', 'main dl'],
    ] as const;
    for (const [nav, name, shown] of screens) {
      await page.getByRole('link', { name: nav, exact: true }).click();
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.locator(shown).first().waitFor();
      await shot(page, name);
    }
    // The campaigns screen (the last but two): the chart follows the metric picked, the table lists every campaign.
    await page.getByRole('link', { name: 'Campaigns', exact: true }).click();
    await page.locator('main table >> text=spring_launch').first().waitFor();
    const chart = page.getByRole('img', { name: /by campaign/ });
    expect(await chart.getAttribute('aria-label')).toMatch(/^Points by campaign: .*spring_launch/);
    await page.getByLabel('Chart').selectOption('unique_leads');
    await expect.poll(() => chart.getAttribute('aria-label')).toMatch(/^Leads by campaign: /);
  }, 30_000);

  it('switches OU and logs out', async () => {
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await page.getByRole('link', { name: 'Leads' }).click();
    const ou = page.getByLabel('Organization unit');
    // Created in the header: the switcher lists it at once, with no page load.
    await page.getByText('New OU', { exact: true }).click();
    const create = page.getByRole('form', { name: 'Create an OU' });
    await create.getByLabel('Name of the new OU').fill('Second OU');
    await create.getByRole('button', { name: 'Create OU' }).click();
    await create.getByRole('status').filter({ hasText: 'Created Second OU' }).waitFor();
    await shot(page, '15a-ou-created');
    expect(await ou.locator('option').allTextContents()).toContain('Second OU (Owner)');
    expect(navigations.filter((u) => !u.includes('#'))).toEqual([]);
    await page.getByText('New OU', { exact: true }).click(); // closes the form
    await ou.selectOption({ label: 'Second OU (Owner)' });
    await page.getByRole('heading', { name: 'No leads in this OU yet' }).waitFor();
    expect((await api('GET', '/leads?limit=1')).total).toBe(0); // the activeOu cookie follows the switch
    await expect.poll(() => page.locator('.badge').textContent()).toBe('Live');
    await shot(page, '15-ou-switched');

    await page.setViewportSize({ width: 375, height: 800 });
    await ou.selectOption({ index: 0 }); // 200 sample leads and the one the CSV import created
    await page.locator('table caption').filter({ hasText: '201 leads' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, '16-leads-375px');
    await page.getByText('New OU', { exact: true }).click();
    const box = await page.getByRole('form', { name: 'Create an OU' }).boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 375, JSON.stringify(box)).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await shot(page, '17-new-ou-375px');
    await page.getByText('New OU', { exact: true }).click();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    const me = await context.request.get(`${base}/auth/me`);
    expect(me.status()).toBe(401);
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
