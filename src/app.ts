import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import jwt from '@fastify/jwt';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { createAccessCheck } from './auth/access-check.js';
import type { Access } from './auth/access.js';
import { authPlugin } from './auth/auth.plugin.js';
import { createCredentialCache } from './auth/credential-cache.js';
import { createRevocationBus } from './auth/revocations.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { refreshEmbeddedStatistics } from './db/statistics.js';
import { runWithApp } from './lifecycle/background.js';
import { auditPlugin, createAuditLog } from './http/audit.js';
import { createPasswordHasher } from './auth/secrets.js';
import { registerErrorHandlers, sendFrameworkError } from './http/errors.js';
import { MAX_JSON_DEPTH, registerStorableCheck } from './http/storable.js';
import { createMetrics } from './http/metrics.js';
import { openapiTransform } from './http/openapi-transform.js';
import { createRateLimiter, rateLimitPlugin } from './http/rate-limit.js';
import { createLiveHub } from './live/live-hub.js';
import { adminRoutes } from './modules/admin/admin.routes.js';
import { ingestRoutes } from './modules/ingest/ingest.routes.js';
import { createIngestService } from './modules/ingest/ingest.service.js';
import { createSampleDataService } from './modules/admin/sample-data/sample-data.service.js';
import { streamRoutes } from './modules/stream/stream.routes.js';
import { createAuthLimits } from './modules/auth/auth.limits.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createOrgService } from './modules/org/org.service.js';
import { createUnitDefaults } from './modules/org/unit-defaults.js';
import { membersRoutes } from './modules/org/members.routes.js';
import { orgUnitsRoutes } from './modules/org/org-units.routes.js';
import { secretsRoutes } from './modules/secrets/secrets.routes.js';
import { eventTypesRoutes } from './modules/event-types/event-types.routes.js';
import { eventsRoutes } from './modules/events/events.routes.js';
import { systemRoutes } from './modules/system/system.routes.js';
import { usageRoutes } from './modules/usage/usage.routes.js';
import { createUsageCounters, usageCounterPlugin } from './modules/usage/usage.counters.js';
import { scoringRoutes } from './modules/scoring/scoring.routes.js';
import { scoresRoutes } from './modules/scores/scores.routes.js';
import { segmentsRoutes } from './modules/segments/segments.routes.js';
import { slackRoutes } from './modules/slack/slack.routes.js';
import { createSlackDeliveryChannel } from './modules/slack/slack.channel.js';
import { createSlackSender } from './modules/slack/slack.sender.js';
import { analyticsRoutes } from './modules/analytics/analytics.routes.js';
import { dealsRoutes } from './modules/deals/deals.routes.js';
import { createDealsService } from './modules/deals/deals.service.js';
import { unscoredEventsOf } from './modules/scoring-worker/scoring-queue.js';
import type { Tenant } from './auth/tenant.js';
import { activityRoutes } from './modules/events/activity.routes.js';
import { ordersRoutes } from './modules/orders/orders.routes.js';
import { createOrdersService } from './modules/orders/orders.service.js';
// Analytics: session attribution, surge metrics (branch sessions).
import { sessionsRoutes } from './modules/analytics/sessions/sessions.routes.js';
import { surgeRoutes } from './modules/analytics/surge/surge.routes.js';
import { createDeliveriesService } from './modules/triggers/delivery/deliveries.service.js';
import { createDeliveryOutbox } from './modules/triggers/delivery/outbox.js';
import { fireTriggersLive } from './modules/triggers/trigger-live.js';
import { triggersRoutes } from './modules/triggers/triggers.routes.js';
import { createScoresService } from './modules/scores/scores.service.js';
import { leadsRoutes } from './modules/leads/leads.routes.js';
import { leadScoresRoutes } from './modules/leads/lead-scores.routes.js';
import { createLeadsService } from './modules/leads/leads.service.js';
import { LEAD_DELETE_JOB, leadDeleteStep } from './modules/leads/lead-delete.job.js';
import { createJobRunner, type JobRunner } from './jobs/job-runner.js';
import { createScoringService, provisionScoringDefaults } from './modules/scoring/scoring.service.js';
import type { EngineHooks } from './modules/scoring-worker/scoring.engine.js';
import { createScoringWorker } from './modules/scoring-worker/scoring-worker.js';
import { scoringWorkerRoutes } from './modules/scoring-worker/scoring-worker.routes.js';
import { leadProfileRoutes } from './modules/leads/lead-profile.routes.js';
import { createMappingsOnIngest } from './modules/accounts/mappings-on-ingest.js';
import { profileAccountsRoutes } from './modules/accounts/profile-accounts.routes.js';
import { createPropertyScoringService } from './modules/accounts/property-scoring.service.js';
import { createProfilesService } from './modules/accounts/profiles.service.js';
import { createAccountsService } from './modules/accounts/accounts.service.js';
import { createBackfillsService } from './modules/accounts/backfills.service.js';
import {
  ACCOUNTS_BACKFILL_JOB,
  EVENT_ACCOUNTS_BACKFILL_JOB,
  PROFILE_APPLY_JOB,
  accountsBackfillStep,
  eventAccountsBackfillStep,
  profileApplyStep,
} from './modules/accounts/backfill.jobs.js';

export interface RegisteredRoute {
  method: string;
  url: string;
  hidden: boolean;
  /** The route's declared `config.access` (the auth plugin refuses a route without one). */
  access: Access | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route the app registered, so tests can hold openapi.yaml and the isolation matrix to them. */
    registeredRoutes: RegisteredRoute[];
    /** The durable job runner (src/jobs/): tests await drain() instead of sleeping. */
    jobs: JobRunner;
  }
}

export interface AppDeps {
  config: Config;
  database: Database;
  /** Test hooks of the scoring engine (a failing event); never set in production. */
  scoringHooks?: EngineHooks;
}

const OPENAPI_INFO = {
  title: 'Leadvibe API',
  version: '1.0.0',
  description:
    'Event ingestion, scoring, segments, triggers and organization unit (OU) workflows. ' +
    'Authenticate with a JWT (Bearer or the `session` cookie) or HTTP Basic API credentials. ' +
    'Request bodies are `application/json` (any other content type answers 415; the CSV import takes ' +
    '`multipart/form-data`). Strings holding NUL or lone UTF-16 surrogates, numbers JSON cannot hold and ' +
    `nesting deeper than ${MAX_JSON_DEPTH} levels are refused with 400 wherever they appear (body, query, path).`,
};

/**
 * One log line per request, at its end, with what Fastify's `incoming request` line had (method,
 * url, host, remote address) beside the status and time (docs/decisions.md).
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/**
 * Fastify 5 ignores a bare hop count (it cannot validate the peer); TRUST_PROXY=n keeps the usual
 * meaning, trusting the n nearest hops, which is only safe when the proxies are the sole way in —
 * the same caveat as `true`, which trusts every hop.
 */
function fastifyTrustProxy(value: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value;
}

/**
 * Builds a ready-to-listen app from validated config and an open, migrated database; never listens
 * itself. The caller owns the database and closes it after `app.close()`.
 */
export async function buildApp({ config, database, scoringHooks }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
    logController: new OneLinePerRequest(),
    bodyLimit: config.bodyLimitBytes,
    // Event types and client-chosen lead ids (up to 128 chars) travel in paths.
    routerOptions: { maxParamLength: 512 },
    frameworkErrors: sendFrameworkError,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
    // X-Forwarded-For names the client only when it comes from a proxy TRUST_PROXY trusts (semantics §1).
    trustProxy: fastifyTrustProxy(config.trustProxy),
  });
  const routes: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden = Boolean((route.schema as { hide?: boolean } | undefined)?.hide);
    const access = (route.config as { access?: Access } | undefined)?.access;
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, hidden, access });
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerErrorHandlers(app);
  // JSON routes take JSON only: Fastify's default text/plain parser would hand a string body to the
  // schema (a 400); without it any non-JSON body is a 415. CSV travels as multipart (import).
  app.removeContentTypeParser('text/plain');
  registerStorableCheck(app);

  const db = database.db;
  const metrics = createMetrics();
  const audit = createAuditLog(db, (err) => app.log.error({ err }, 'could not write audit rows'));
  const usageCounters = createUsageCounters(db, (err) => app.log.error({ err }, 'could not write usage counters'));
  const limiter = createRateLimiter(config.rateLimit);
  const unitDefaults = createUnitDefaults();
  const live = createLiveHub(database, (err) => app.log.error({ err }, 'live fan-out failed'));
  app.decorate('live', live);
  runWithApp(app, { start: () => live.start(), stop: () => live.close() });
  const revocations = createRevocationBus(database, (err) => app.log.error({ err }, 'access revocation channel failed'));
  const credentials = createCredentialCache(revocations);
  runWithApp(app, {
    start: () => revocations.start(),
    stop: async () => {
      credentials.close();
      await revocations.close();
    },
  });
  const passwords = createPasswordHasher(config.passwordHashCost);
  if (config.passwordHashCost === 'low') app.log.warn('PASSWORD_HASH_COST=low: password hashes are cheap to crack; for test suites only');
  const orgService = createOrgService({ db, unitDefaults, revocations, passwords });
  const authService = createAuthService({
    db,
    revocations,
    passwords,
    sign: (payload) => app.jwt.sign(payload),
    onError: (err, message) => app.log.error({ err }, message),
  });
  const authLimits = createAuthLimits({ perAddressPerMinute: config.authRateLimitPerMin });

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({ method: request.method, status: String(reply.statusCode) });
  });

  await app.register(cookie, { secret: config.cookieSecret });
  await app.register(jwt, { secret: config.jwtSecret, sign: { algorithm: 'HS256', expiresIn: '12h' } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          basicAuth: { type: 'http', scheme: 'basic' },
        },
      },
    },
    transform: openapiTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(authPlugin, { db, config, credentials });
  await app.register(rateLimitPlugin, { limiter, metrics });
  await app.register(auditPlugin, { audit });
  await app.register(usageCounterPlugin, { counters: usageCounters });

  await app.register(systemRoutes, { database, metrics });
  await app.register(authRoutes, { db, config, limiter, orgService, authService, authLimits });
  await app.register(orgUnitsRoutes, { config, orgService });
  await app.register(membersRoutes, { orgService });
  await app.register(secretsRoutes, { db, credentials });
  await app.register(usageRoutes, { db, counters: usageCounters });
  // Durable jobs (lead deletes, profile applies, backfills): one runner, a step function per kind.
  const jobs = createJobRunner({
    db,
    log: app.log,
    steps: {
      [LEAD_DELETE_JOB]: leadDeleteStep(),
      [PROFILE_APPLY_JOB]: profileApplyStep(),
      [ACCOUNTS_BACKFILL_JOB]: accountsBackfillStep(),
      [EVENT_ACCOUNTS_BACKFILL_JOB]: eventAccountsBackfillStep(),
    },
    pollMs: config.jobs.pollMs,
    leaseSeconds: config.jobs.leaseSeconds,
  });
  app.decorate('jobs', jobs);
  runWithApp(app, jobs, { enabled: config.jobs.worker });
  const backfills = createBackfillsService({ db, onJobQueued: () => jobs.kick() });
  // Ingestion, live stream and events.
  const ingest = createIngestService(
    { database, live, registry: metrics.registry, log: app.log, afterWrite: createMappingsOnIngest({ db, log: app.log }) },
    { groupWaitMs: config.ingestGroup.waitMs, groupMaxInFlight: config.ingestGroup.concurrency },
  );
  await app.register(ingestRoutes, { config, database, metrics, service: ingest });
  await app.register(streamRoutes, {
    live,
    heartbeatMs: config.sseHeartbeatMs,
    revocations,
    stillAllowed: createAccessCheck({ db, credentials }),
  });
  // Scoring: configuration, the worker, score reads.
  unitDefaults.add(provisionScoringDefaults);
  const { scoring } = config;
  const scoringWorker = createScoringWorker({
    database,
    log: app.log,
    live,
    registry: metrics.registry,
    batchSize: scoring.batchSize,
    concurrency: scoring.concurrency,
    pollMs: scoring.pollMs,
    unitShare: scoring.unitShare,
    passTargetMs: scoring.passTargetMs,
    queueVacuumEvery: scoring.queueVacuumEvery,
    hooks: scoringHooks,
    decayIntervalSeconds: scoring.decayIntervalSeconds,
    afterScoring: fireTriggersLive,
  });
  app.decorate('scoringWorker', scoringWorker);
  runWithApp(app, scoringWorker, { enabled: scoring.worker });
  const leads = createLeadsService({ db, onJobQueued: () => jobs.kick(), onRescoreQueued: (lead) => scoringWorker.replayLead(lead) });
  await app.register(eventsRoutes, { db, leads });
  await app.register(eventTypesRoutes, { db });
  const scoringConfig = createScoringService({ db });
  await app.register(scoringRoutes, { service: scoringConfig });
  await app.register(scoringWorkerRoutes, { db });
  const scores = createScoresService({ db, leads });
  await app.register(scoresRoutes, { scores });
  // Leads: the lead itself, and the score reads of routes.md "Leads" (one tag, one module).
  await app.register(leadsRoutes, { leads });
  await app.register(leadScoresRoutes, { scores });
  await app.register(segmentsRoutes, { db });
  // Slack: the org's app, each OU's workspace connection (docs/slack.md).
  await app.register(slackRoutes, { db, config });
  // Analytics and attribution (issue 13): campaigns, deals, orders and the lead activity stream.
  await app.register(analyticsRoutes, { db });
  const deals = createDealsService({ db, leads });
  await app.register(dealsRoutes, { service: deals });
  const orders = createOrdersService({ db, leads });
  await app.register(ordersRoutes, { orders });
  await app.register(activityRoutes, { db, leads, orders });
  // Analytics: session attribution, surge metrics (branch sessions).
  await app.register(sessionsRoutes, { db });
  await app.register(surgeRoutes, { db });
  // Triggers: definitions, firings (evaluated by the scoring worker: afterScoring above), the delivery outbox.
  const outbox = createDeliveryOutbox({ config: config.deliveries, database, log: app.log, registry: metrics.registry });
  app.decorate('deliveries', outbox);
  outbox.registerDeliveryChannel(createSlackDeliveryChannel(createSlackSender({ db, config, log: app.log })));
  runWithApp(app, outbox, { enabled: config.deliveries.worker });
  const deliveries = createDeliveriesService({ db, onReplay: () => outbox.sender.wake() });
  await app.register(triggersRoutes, { db, leads, deliveries, allowPrivateWebhooks: config.deliveries.allowPrivateWebhooks });
  // Profile and account (ABM) scoring, and a lead's profile and account.
  const profiles = createProfilesService({ db, leads });
  const accounts = createAccountsService({ db, leads });
  const properties = createPropertyScoringService({ db });
  await app.register(profileAccountsRoutes, { properties, profiles, accounts, scoring: scoringConfig });
  await app.register(leadProfileRoutes, { profiles, accounts });
  // Admin: audit log, backfill jobs, sample data (made through the services above).
  const unscored = (t: Tenant) => unscoredEventsOf(db, t);
  const refreshStatistics = () => refreshEmbeddedStatistics(database);
  const sampleData = createSampleDataService({ leads, scoring: scoringConfig, ingest, accounts, deals, unscored, refreshStatistics });
  await app.register(adminRoutes, { db, audit, sampleData, backfills });

  return app;
}
