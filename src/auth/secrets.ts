import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt parameters by PASSWORD_HASH_COST. `standard`: the OWASP Password Storage Cheat Sheet's
 * minimum, in its low-memory form (N=2^14, r=8, p=5 costs as much CPU as N=2^17, r=8, p=1 but needs
 * 16 MiB per hash instead of 128 MiB, so a burst of logins cannot exhaust memory). `low` (N=2^10,
 * p=1, ~1/80 of the CPU) exists for test suites, which sign up hundreds of organizations: never for
 * a server with real users. Stored hashes carry their parameters, so older ones still verify.
 */
export const PASSWORD_HASH_COSTS = {
  standard: { N: 2 ** 14, r: 8, p: 5, keylen: 64 },
  low: { N: 2 ** 10, r: 8, p: 1, keylen: 64 },
} as const;
export type PasswordHashCost = keyof typeof PASSWORD_HASH_COSTS;
const MAX_N = 2 ** 20;
const MAX_R_TIMES_P = 64;

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  // scrypt needs about 128·N·r bytes; Node refuses anything above `maxmem` (32 MiB by default).
  const maxmem = 256 * (options.N ?? 0) * (options.r ?? 0) + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, { ...options, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

interface StoredHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** `scrypt$N$r$p$salt$hash`, or null when the string is not one we can check. */
function parseStoredHash(stored: string): StoredHash | null {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash || rest.length > 0) return null;
  const [N, R, P] = [Number(n), Number(r), Number(p)];
  const valid = [N, R, P].every(Number.isSafeInteger) && N > 1 && N <= MAX_N && (N & (N - 1)) === 0 && R >= 1 && P >= 1;
  if (!valid || R * P > MAX_R_TIMES_P) return null;
  return { N, r: R, p: P, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

/** Passwords: salted scrypt, stored as `scrypt$N$r$p$salt$hash` so parameters can change later. */
export function createPasswordHasher(cost: PasswordHashCost = 'standard') {
  const params = PASSWORD_HASH_COSTS[cost];
  async function hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scryptAsync(password, salt, params.keylen, { N: params.N, r: params.r, p: params.p });
    return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }
  let dummy: Promise<string> | null = null;
  return {
    hash,
    async verify(password: string, stored: string): Promise<boolean> {
      const parsed = parseStoredHash(stored);
      if (!parsed || parsed.hash.length === 0) return false;
      const key = await scryptAsync(password, parsed.salt, parsed.hash.length, { N: parsed.N, r: parsed.r, p: parsed.p });
      return timingSafeEqual(key, parsed.hash);
    },
    /** Whether a stored hash was made with other parameters than these, so a login should re-hash it. */
    needsRehash(stored: string): boolean {
      const parsed = parseStoredHash(stored);
      return !parsed || parsed.N !== params.N || parsed.r !== params.r || parsed.p !== params.p || parsed.hash.length !== params.keylen;
    },
    /** A hash that costs as much as a real check, so unknown emails take as long as wrong passwords. */
    dummyHash(): Promise<string> {
      dummy ??= hash(randomBytes(12).toString('hex'));
      return dummy;
    },
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

/**
 * API secrets are 32 random bytes, so a fast SHA-256 is as safe as a slow hash and keeps Basic auth
 * cheap on the ingestion hot path.
 */
export function newClientCredential(): { clientId: string; clientSecret: string; secretHash: string } {
  const clientId = `lv_${randomBytes(12).toString('base64url')}`;
  const clientSecret = randomBytes(32).toString('base64url');
  return { clientId, clientSecret, secretHash: hashSecret(clientSecret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = createHash('sha256').update(secret).digest();
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
