import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

/** An address or a CIDR range (`10.0.0.0/8`, `fd00::/8`), as Fastify's `trustProxy` takes them. */
function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

/** TRUST_PROXY: `true`/`false`, a hop count, or a comma-separated list of addresses and CIDR ranges. */
const trustProxy = z.string().transform((value, ctx): boolean | number | string[] => {
  const v = value.trim();
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const entries = v.split(',').map((e) => e.trim()).filter(Boolean);
  const bad = entries.filter((e) => !isAddressOrRange(e));
  if (entries.length === 0 || bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `not true/false, a hop count or addresses/CIDRs: ${bad.join(', ') || v}` });
    return z.NEVER;
  }
  return entries;
});

/**
 * SECRETS_KEY: the AES-256-GCM key that encrypts stored third-party secrets (docs/slack.md), 32
 * bytes written as 64 hex characters or as base64.
 */
const secretsKey = z.string().transform((value, ctx): Buffer => {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(v)) return Buffer.from(v, 'base64');
  ctx.addIssue({ code: 'custom', message: 'must be 32 bytes as 64 hex characters or base64 (openssl rand -hex 32)' });
  return z.NEVER;
});

/**
 * The key used when SECRETS_KEY is unset: fixed, so a development database stays readable across
 * restarts, and public, so the server warns at start (docs/slack.md). Never for production.
 */
const DEVELOPMENT_SECRETS_KEY = Buffer.from('leadvibe-development-secrets-key', 'utf8');

const envSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  JWT_SECRET: z.string().min(16, 'JWT_SECRET must be at least 16 characters').optional(),
  COOKIE_SECRET: z.string().min(16, 'COOKIE_SECRET must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SIGNUP_ENABLED: bool.default(true),
  RATE_LIMIT_MODE: z.enum(['off', 'observe', 'enforce']).default('observe'),
  RATE_LIMIT_KEY_BY: z.enum(['org', 'member', 'ip']).default('org'),
  RATE_LIMIT_RPS: z.coerce.number().positive().default(100),
  RATE_LIMIT_BURST: z.coerce.number().int().positive().default(200),
  AUTH_RATE_LIMIT_PER_MIN: z.coerce.number().int().positive().default(30),
  PASSWORD_HASH_COST: z.enum(['standard', 'low']).default('standard'),
  TRUST_PROXY: trustProxy.default(false),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  COOKIE_SECURE: bool.default(false),
  IMPORT_MAX_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
  IMPORT_WRITER: z.enum(['batch', 'copy']).default('batch'),
  SSE_HEARTBEAT_MS: z.coerce.number().int().positive().default(15_000),
  INGEST_GROUP_WAIT_MS: z.coerce.number().int().min(0).max(100).default(1),
  INGEST_GROUP_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  INGEST_RATE_LIMIT_EPS: z.coerce.number().min(0).default(0),
  INGEST_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(1000),
  SCORING_WORKER: bool.default(true),
  SCORING_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  SCORING_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(1000),
  SCORING_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  SCORING_UNIT_SHARE: z.coerce.number().gt(0).max(1).default(1),
  SCORING_PASS_TARGET_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  SCORING_QUEUE_VACUUM_EVERY: z.coerce.number().int().min(0).max(10_000_000).default(1000),
  DECAY_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  JOBS_WORKER: bool.default(true),
  JOBS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  JOBS_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  SECRETS_KEY: secretsKey.optional(),
  SLACK_API_BASE: z.string().url().default('https://slack.com/api'),
  SLACK_AUTHORIZE_URL: z.string().url().default('https://slack.com/oauth/v2/authorize'),
  SLACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  SLACK_INSTALL_RETURN_URL: z.string().min(1).default('/integrations?slack=connected'),
  ALLOW_PRIVATE_WEBHOOKS: bool.default(false),
  SMTP_URL: z.string().url().refine((v) => /^smtps?:\/\//i.test(v), { message: 'SMTP_URL must be smtp:// or smtps://' }).optional(),
  SMTP_FROM: z.string().min(3).max(320).default('Leadvibe <no-reply@leadvibe.local>'),
  DELIVERY_WORKER: bool.default(true),
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  DELIVERY_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  DELIVERY_BACKOFF_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(10_000),
  DELIVERY_BACKOFF_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(3_600_000),
  DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  DELIVERY_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
});

export type Config = Readonly<{
  databaseUrl: string | undefined;
  dataDir: string;
  /** statement_timeout of the app's PostgreSQL connections (0: none); migrations run without it. */
  dbStatementTimeoutMs: number;
  port: number;
  host: string;
  jwtSecret: string;
  jwtSecretGenerated: boolean;
  cookieSecret: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  signupEnabled: boolean;
  rateLimit: Readonly<{
    mode: 'off' | 'observe' | 'enforce';
    keyBy: 'org' | 'member' | 'ip';
    rps: number;
    burst: number;
  }>;
  /** Attempts a minute per client address on POST /auth/login and /auth/signup, whatever the rate-limit mode. */
  authRateLimitPerMin: number;
  /** scrypt cost of new password hashes: `standard` (OWASP's minimum); `low` for test suites only (src/auth/secrets.ts). */
  passwordHashCost: 'standard' | 'low';
  /** Fastify's `trustProxy`: whose X-Forwarded-For names the client address (default: nobody's). */
  trustProxy: boolean | number | string[];
  bodyLimitBytes: number;
  cookieSecure: boolean;
  /** Upload limit of POST /events/import (semantics §2). */
  importMaxBytes: number;
  /** Chunk writer of POST /events/import on PostgreSQL: 'batch' (default) or 'copy' (staging table; bench/README.md, issue 11). */
  importWriter: 'batch' | 'copy';
  /** Interval of the comment line that keeps idle GET /stream connections open. */
  sseHeartbeatMs: number;
  /** Group commit of POST /events: how long a group gathers, and how many groups write at once. */
  ingestGroup: Readonly<{ waitMs: number; concurrency: number }>;
  /** Events per second each OU may ingest (0: no limit) and its burst, in RATE_LIMIT_MODE (docs/ingestion.md). */
  ingestRateLimit: Readonly<{ eventsPerSecond: number; burst: number }>;
  /** The scoring worker and decay scheduler (issue 4); worker=false leaves scoring to other processes. */
  scoring: Readonly<{
    worker: boolean;
    concurrency: number;
    batchSize: number;
    pollMs: number;
    /** Share (0–1] of a pass one OU may take while other OUs have events queued (docs/scoring.md). */
    unitShare: number;
    /** Passes are sized to last about this long, at most batchSize events (docs/scoring.md). */
    passTargetMs: number;
    /** Vacuum the scoring queue after every this many of its rows this process took off or rewrote (0: leave it to autovacuum). */
    queueVacuumEvery: number;
    decayIntervalSeconds: number;
  }>;
  /** The durable job runner (src/jobs/); worker=false leaves jobs to other processes. */
  jobs: Readonly<{ worker: boolean; pollMs: number; leaseSeconds: number }>;
  /** AES-256-GCM key of stored third-party secrets (src/auth/secret-box.ts); see secretsKeyIsDevelopment. */
  secretsKey: Buffer;
  /** SECRETS_KEY was unset: secrets are sealed with the public development key (the server warns). */
  secretsKeyIsDevelopment: boolean;
  /** The Slack integration (docs/slack.md): every Web API call goes to apiBase. */
  slack: Readonly<{ apiBase: string; authorizeUrl: string; timeoutMs: number; installReturnUrl: string }>;
  /** Trigger actions (docs/deliveries.md): the outbox sender, webhook address guard, SMTP. */
  deliveries: Readonly<{
    worker: boolean;
    allowPrivateWebhooks: boolean;
    smtpUrl: string | undefined;
    smtpFrom: string;
    concurrency: number;
    pollMs: number;
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    timeoutMs: number;
    leaseSeconds: number;
  }>;
}>;

export class ConfigError extends Error {}

/** The only place that reads the environment (house rule 1). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const jwtSecret = e.JWT_SECRET ?? randomBytes(32).toString('hex');
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    port: e.PORT,
    host: e.HOST,
    jwtSecret,
    jwtSecretGenerated: e.JWT_SECRET === undefined,
    cookieSecret: e.COOKIE_SECRET ?? jwtSecret,
    logLevel: e.LOG_LEVEL,
    signupEnabled: e.SIGNUP_ENABLED,
    rateLimit: Object.freeze({
      mode: e.RATE_LIMIT_MODE,
      keyBy: e.RATE_LIMIT_KEY_BY,
      rps: e.RATE_LIMIT_RPS,
      burst: e.RATE_LIMIT_BURST,
    }),
    authRateLimitPerMin: e.AUTH_RATE_LIMIT_PER_MIN,
    passwordHashCost: e.PASSWORD_HASH_COST,
    trustProxy: e.TRUST_PROXY,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    cookieSecure: e.COOKIE_SECURE,
    importMaxBytes: e.IMPORT_MAX_BYTES,
    importWriter: e.IMPORT_WRITER,
    sseHeartbeatMs: e.SSE_HEARTBEAT_MS,
    ingestGroup: Object.freeze({ waitMs: e.INGEST_GROUP_WAIT_MS, concurrency: e.INGEST_GROUP_CONCURRENCY }),
    ingestRateLimit: Object.freeze({ eventsPerSecond: e.INGEST_RATE_LIMIT_EPS, burst: e.INGEST_RATE_LIMIT_BURST }),
    scoring: Object.freeze({
      worker: e.SCORING_WORKER,
      concurrency: e.SCORING_CONCURRENCY,
      batchSize: e.SCORING_BATCH_SIZE,
      pollMs: e.SCORING_POLL_MS,
      unitShare: e.SCORING_UNIT_SHARE,
      passTargetMs: e.SCORING_PASS_TARGET_MS,
      queueVacuumEvery: e.SCORING_QUEUE_VACUUM_EVERY,
      decayIntervalSeconds: e.DECAY_INTERVAL_SECONDS,
    }),
    jobs: Object.freeze({ worker: e.JOBS_WORKER, pollMs: e.JOBS_POLL_MS, leaseSeconds: e.JOBS_LEASE_SECONDS }),
    secretsKey: e.SECRETS_KEY ?? DEVELOPMENT_SECRETS_KEY,
    secretsKeyIsDevelopment: e.SECRETS_KEY === undefined,
    slack: Object.freeze({
      apiBase: e.SLACK_API_BASE,
      authorizeUrl: e.SLACK_AUTHORIZE_URL,
      timeoutMs: e.SLACK_TIMEOUT_MS,
      installReturnUrl: e.SLACK_INSTALL_RETURN_URL,
    }),
    deliveries: Object.freeze({
      worker: e.DELIVERY_WORKER,
      allowPrivateWebhooks: e.ALLOW_PRIVATE_WEBHOOKS,
      smtpUrl: e.SMTP_URL,
      smtpFrom: e.SMTP_FROM,
      concurrency: e.DELIVERY_CONCURRENCY,
      pollMs: e.DELIVERY_POLL_MS,
      maxAttempts: e.DELIVERY_MAX_ATTEMPTS,
      backoffBaseMs: e.DELIVERY_BACKOFF_BASE_MS,
      backoffMaxMs: e.DELIVERY_BACKOFF_MAX_MS,
      timeoutMs: e.DELIVERY_TIMEOUT_MS,
      leaseSeconds: e.DELIVERY_LEASE_SECONDS,
    }),
  });
}
