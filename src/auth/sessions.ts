import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Member tokens live 12 h (semantics §1), unless logout or a version bump ends them earlier. */
export const TOKEN_TTL_SECONDS = 12 * 60 * 60;

/**
 * What a member token carries: member (`sub`) and organization, the member's token version when it
 * was signed (`ver`) and its session id (`jti`). A token without them (signed before sessions had
 * ids) is refused, so every accepted token can be logged out.
 */
const sessionClaims = z.object({
  sub: z.uuid(),
  org: z.uuid(),
  ver: z.number().int().min(0),
  jti: z.uuid(),
  exp: z.number(),
});

export interface SessionClaims {
  memberId: string;
  orgId: string;
  version: number;
  sessionId: string;
  /** When the token expires, in ms since the epoch. */
  expiresAt: number;
}

export function parseSessionClaims(payload: unknown): SessionClaims | null {
  const parsed = sessionClaims.safeParse(payload);
  if (!parsed.success) return null;
  const { sub, org, ver, jti, exp } = parsed.data;
  return { memberId: sub, orgId: org, version: ver, sessionId: jti, expiresAt: exp * 1000 };
}

/** The payload to sign for a new session of a member; `exp` is added by the signer. */
export function newSessionPayload(member: { id: string; org_id: string; token_version: number }) {
  return { sub: member.id, org: member.org_id, ver: member.token_version, jti: randomUUID() };
}
