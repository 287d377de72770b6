import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';
import { LEADS_PER_STEP } from '../../src/modules/accounts/backfill.jobs.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false', JOBS_WORKER: 'false' });

type Method = 'GET' | 'POST' | 'PUT';
const call = (s: Session, method: Method, url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

async function ok<T = any>(s: Session, method: Method, url: string, payload: unknown, status: number): Promise<T> {
  const res = await call(s, method, url, payload);
  expect(res.statusCode, res.body).toBe(status);
  return res.json() as T;
}

async function emailLead(s: Session, email: string, metadata: Record<string, unknown> = {}): Promise<string> {
  const res = await ok(s, 'POST', '/events', { event_type: 'page_view', aliases: [{ alias_kind: 'email', raw_value: email }], metadata }, 202);
  return res.metadata.lead_id as string;
}

describe('POST /admin/backfill/accounts', () => {
  it('links leads by email domain (free mail ignored) or company_domain, creating accounts, then replays mappings', async () => {
    const s = await signup(ctx.app);
    await ok(s, 'PUT', '/settings/scoring', { abm_enabled: true }, 200);
    const ann = await emailLead(s, 'ann@Acme.io', { tier: 'gold' });
    const bob = await emailLead(s, 'bob@acme.io');
    const gmail = await emailLead(s, 'carl@gmail.com');
    await ok(s, 'POST', '/leads', { id: 'by-meta', metadata: { company_domain: 'https://www.Beta.io/about' } }, 201);
    const freeWithMeta = await emailLead(s, 'dora@yahoo.com');
    await ok(s, 'PATCH' as Method, `/leads/${freeWithMeta}/metadata`, { company_domain: 'beta.io' }, 200);
    await ok(s, 'POST', '/leads', { id: 'nothing' }, 201);
    await ok(s, 'POST', '/account/mappings', { source_field: 'tier', account_property: 'tier' }, 201);
    await ok(s, 'POST', '/profile/mappings', { source_field: 'tier', profile_property: 'tier' }, 201);

    const job = await ok(s, 'POST', '/admin/backfill/accounts', undefined, 202);
    expect(job).toMatchObject({ kind: 'accounts_backfill', status: 'queued', leads_processed: 0, accounts_linked: 0 });
    expect((await ok(s, 'POST', '/admin/backfill/accounts', undefined, 202)).job_id).toBe(job.job_id);
    await ctx.app.jobs.drain();
    expect(await ok(s, 'GET', job.status_url, undefined, 200)).toMatchObject({
      status: 'completed', leads_processed: 6, accounts_linked: 4, accounts_created: 2, profile_scores_updated: 1,
    });
    const accounts = (await ok(s, 'GET', '/accounts', undefined, 200)).accounts;
    expect(accounts.map((a: any) => [a.domain, a.leads_count]).sort()).toEqual([['acme.io', 2], ['beta.io', 2]]);
    const acme = accounts.find((a: any) => a.domain === 'acme.io');
    expect(acme.metadata).toEqual({ tier: 'gold' });
    for (const id of [ann, bob]) expect((await ok(s, 'GET', `/leads/${id}`, undefined, 200)).lead.account_id).toBe(acme.account_id);
    expect((await ok(s, 'GET', `/leads/${gmail}`, undefined, 200)).lead.account_id).toBeNull();
    expect((await ok(s, 'GET', `/leads/${ann}`, undefined, 200)).lead.metadata).toEqual({ tier: 'gold' });

    // A second run changes nothing: every lead is linked or has no domain.
    const again = await ok(s, 'POST', '/admin/backfill/accounts', undefined, 202);
    await ctx.app.jobs.drain();
    expect(await ok(s, 'GET', again.status_url, undefined, 200)).toMatchObject({ leads_processed: 6, accounts_linked: 0, accounts_created: 0, profile_scores_updated: 0 });
  });

  it('walks more leads than one step in committed steps, and is Owner-only', async () => {
    const s = await signup(ctx.app);
    const n = LEADS_PER_STEP + 5;
    await sql`insert into leads (org_id, unit_id, id, metadata)
      select ${s.orgId}, ${s.unitId}, 'bulk-' || lpad(i::text, 4, '0'), jsonb_build_object('company_domain', 'd' || (i % 3) || '.io')
        from generate_series(1, ${n}) i`.execute(ctx.database.db);
    const job = await ok(s, 'POST', '/admin/backfill/accounts', undefined, 202);
    await ctx.app.jobs.drain();
    expect(await ok(s, 'GET', job.status_url, undefined, 200)).toMatchObject({ status: 'completed', leads_processed: n, accounts_linked: n, accounts_created: 3 });
    const row = await ctx.database.db.selectFrom('jobs').select('progress').where('id', '=', job.job_id).executeTakeFirstOrThrow();
    expect((row.progress as { cursor: string }).cursor).toBe(`bulk-${String(n).padStart(4, '0')}`);
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Operator');
    expectError(await call(viewer, 'POST', '/admin/backfill/accounts'), 403, 'forbidden');
    expectError(await call(viewer, 'POST', '/admin/backfill/event-accounts'), 403, 'forbidden');
    const other = await signup(ctx.app);
    expectError(await call(other, 'GET', job.status_url), 404, 'not_found');
  });
});

describe('POST /admin/backfill/event-accounts', () => {
  it('writes metadata.accountId on the events of linked leads, adding or correcting it', async () => {
    const s = await signup(ctx.app);
    const ann = await emailLead(s, 'ann@acme.io');
    await emailLead(s, 'ann@acme.io', { accountId: 'stale' });
    const gmail = await emailLead(s, 'carl@gmail.com');
    await ok(s, 'POST', '/admin/backfill/accounts', undefined, 202);
    await ctx.app.jobs.drain();
    const accountId = (await ok(s, 'GET', `/leads/${ann}`, undefined, 200)).lead.account_id as string;
    const job = await ok(s, 'POST', '/admin/backfill/event-accounts', undefined, 202);
    await ctx.app.jobs.drain();
    expect(await ok(s, 'GET', job.status_url, undefined, 200)).toMatchObject({ status: 'completed', events_scanned: 2, events_updated: 2, leads_without_account: 1 });
    const events = (await ok(s, 'GET', `/leads/${ann}/events`, undefined, 200)) as Array<{ metadata: Record<string, unknown> }>;
    expect(events.map((e) => e.metadata.accountId)).toEqual([accountId, accountId]);
    expect(((await ok(s, 'GET', `/leads/${gmail}/events`, undefined, 200)) as Array<{ metadata: Record<string, unknown> }>)[0]?.metadata.accountId).toBeUndefined();
    const again = await ok(s, 'POST', '/admin/backfill/event-accounts', undefined, 202);
    await ctx.app.jobs.drain();
    expect(await ok(s, 'GET', again.status_url, undefined, 200)).toMatchObject({ events_scanned: 2, events_updated: 0 });
  });
});
