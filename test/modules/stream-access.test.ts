import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ENV, buildTestApp, setupTestApp } from '../helpers/app.js';
import { addMember, assign, bearer, createCredential, signup, type Session } from '../helpers/factories.js';
import { handMadeJwt } from '../helpers/jwt.js';
import { listenLocally, openStream, type OpenStream } from '../helpers/sse.js';

// A heartbeat far longer than any test: what closes these streams is the revocation itself.
const ctx = setupTestApp({ SSE_HEARTBEAT_MS: '600000', SCORING_WORKER: 'false' });
let base = '';

beforeAll(async () => {
  base = await listenLocally(ctx.app);
});
afterAll(async () => {
  await ctx.app.close();
});

const ACCESS_ENDED = 'event: access_ended';

async function open(headers: Record<string, string>, query = '', at = base): Promise<OpenStream> {
  const stream = await openStream(at, headers, query);
  expect(stream.status).toBe(200);
  await stream.waitFor((t) => t.includes(': connected'));
  return stream;
}

/** Proves a stream is still open and delivering: an event ingested now reaches it. */
async function stillDelivers(stream: OpenStream, by: Session, cookies: Record<string, string> = {}) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/events',
    headers: by.headers,
    cookies,
    payload: { aliases: [{ alias_kind: 'email', raw_value: `${randomUUID()}@live.io` }], event_type: 'page_view' },
  });
  expect(res.statusCode, res.body).toBe(202);
  await stream.waitFor((t) => t.includes(res.json().metadata.event_id));
  expect(stream.isEnded()).toBe(false);
}

async function login(s: Session): Promise<Record<string, string>> {
  const res = await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: s.email, password: s.password } });
  expect(res.statusCode).toBe(200);
  return bearer(res.json().token);
}

describe('GET /stream is closed at once when access is taken away', () => {
  it('when its API credential is deleted; another credential’s stream goes on', async () => {
    const s = await signup(ctx.app);
    const revoked = await createCredential(ctx.app, s);
    const kept = await createCredential(ctx.app, s);
    const [gone, staying] = [await open(revoked.headers), await open(kept.headers)];
    expect((await ctx.app.inject({ method: 'DELETE', url: `/secrets/${revoked.id}`, headers: s.headers })).statusCode).toBe(204);
    expect(await gone.ended()).toContain(ACCESS_ENDED);
    await stillDelivers(staying, s);
    staying.close();
  });

  it('when the member is removed from the OU; its stream of another OU goes on', async () => {
    const admin = await signup(ctx.app);
    const second = (await ctx.app.inject({ method: 'POST', url: '/org-units', headers: admin.headers, payload: { name: 'Two' } })).json();
    const member = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, member.memberId, 'Viewer');
    await assign(ctx.app, admin, second.unit_id, member.memberId, 'Viewer');
    const first = await open(member.headers, `?ouId=${admin.unitId}`);
    const other = await open(member.headers, `?ouId=${second.unit_id}`);
    const removed = await ctx.app.inject({ method: 'DELETE', url: `/org-units/${admin.unitId}/members/${member.memberId}`, headers: admin.headers });
    expect(removed.statusCode).toBe(204);
    expect(await first.ended()).toContain(ACCESS_ENDED);
    const active = await ctx.app.inject({ method: 'POST', url: '/org-units/active', headers: admin.headers, payload: { ouId: second.unit_id } });
    await stillDelivers(other, admin, { activeOu: active.cookies.find((c) => c.name === 'activeOu')?.value ?? '' });
    other.close();
  });

  it('when the member is deleted', async () => {
    const admin = await signup(ctx.app);
    const member = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, member.memberId, 'Viewer');
    const stream = await open(member.headers);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/org/members/${member.memberId}`, headers: admin.headers })).statusCode).toBe(204);
    expect(await stream.ended()).toContain(ACCESS_ENDED);
  });

  it('when its session logs out; the same member’s other session streams on', async () => {
    const s = await signup(ctx.app);
    const laptop = await login(s);
    const [ending, other] = [await open(laptop), await open(s.headers)];
    expect((await ctx.app.inject({ method: 'POST', url: '/auth/logout', headers: laptop })).statusCode).toBe(204);
    expect(await ending.ended()).toContain(ACCESS_ENDED);
    await stillDelivers(other, s);
    other.close();
  });

  it('when the member logs out everywhere or its password is changed', async () => {
    const admin = await signup(ctx.app);
    const member = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, member.memberId, 'Viewer');
    const streams = [await open(member.headers), await open(await login(member))];
    const put = await ctx.app.inject({ method: 'PUT', url: `/org/members/${member.memberId}`, headers: admin.headers, payload: { password: 'changed password!' } });
    expect(put.statusCode).toBe(200);
    for (const stream of streams) expect(await stream.ended()).toContain(ACCESS_ENDED);

    const adminStream = await open(admin.headers);
    expect((await ctx.app.inject({ method: 'POST', url: '/auth/logout?everywhere=true', headers: await login(admin) })).statusCode).toBe(204);
    expect(await adminStream.ended()).toContain(ACCESS_ENDED);
  });

  it('when the change is made through another server process (NOTIFY)', async (t) => {
    if (ctx.testDb.kind === 'pglite') t.skip(); // one process only
    const s = await signup(ctx.app);
    const member = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, member.memberId, 'Viewer');
    const cred = await createCredential(ctx.app, s);
    const streams = [await open(member.headers), await open(cred.headers)];
    const otherDb = await ctx.testDb.open();
    const other = await buildTestApp(otherDb);
    try {
      expect((await other.inject({ method: 'DELETE', url: `/org/members/${member.memberId}`, headers: s.headers })).statusCode).toBe(204);
      expect((await other.inject({ method: 'DELETE', url: `/secrets/${cred.id}`, headers: s.headers })).statusCode).toBe(204);
      for (const stream of streams) expect(await stream.ended()).toContain(ACCESS_ENDED);
    } finally {
      await other.close();
      await otherDb.close();
    }
  });
});

describe('GET /stream checks access at each heartbeat', () => {
  const beat = setupTestApp({ SSE_HEARTBEAT_MS: '50', SCORING_WORKER: 'false' });
  let beatBase = '';
  beforeAll(async () => {
    beatBase = await listenLocally(beat.app);
  });

  it('and closes the stream once its token has expired', async () => {
    const s = await signup(beat.app);
    const now = Math.floor(Date.now() / 1000);
    const shortLived = handMadeJwt({ sub: s.memberId, org: s.orgId, ver: 0, jti: randomUUID(), iat: now, exp: now + 2 }, TEST_ENV.JWT_SECRET);
    const stream = await open(bearer(shortLived), '', beatBase);
    await stream.waitFor((t) => t.includes(': heartbeat'));
    expect(stream.isEnded()).toBe(false);
    expect(await stream.ended()).toContain(ACCESS_ENDED);
  });

  it('and closes it when a membership is gone without a notification', async () => {
    const admin = await signup(beat.app);
    const member = await addMember(beat.app, admin);
    await assign(beat.app, admin, admin.unitId, member.memberId, 'Viewer');
    const stream = await open(member.headers, '', beatBase);
    await beat.database.db.deleteFrom('ou_memberships').where('member_id', '=', member.memberId).execute();
    expect(await stream.ended()).toContain(ACCESS_ENDED);
  });
});
