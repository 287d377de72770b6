import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encryption at rest of secrets the server must read back (a Slack client secret, a bot token):
 * AES-256-GCM under SECRETS_KEY. A sealed value is `v1.<key id>.<iv>.<tag>.<ciphertext>`
 * (base64url), bound to a context string (e.g. `slack_app:<org id>`) as associated data, so a
 * value copied into another organization's row does not open. The key id tells a value sealed
 * under another key from a tampered one.
 */
export interface SecretBox {
  seal(plain: string, context: string): string;
  /** Throws SecretBoxError when the value was sealed under another key or context, or was altered. */
  open(sealed: string, context: string): string;
}

export class SecretBoxError extends Error {}

const VERSION = 'v1';

function keyId(key: Buffer): string {
  return createHash('sha256').update('leadvibe secret box key id').update(key).digest('base64url').slice(0, 8);
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the secret box key must be 32 bytes');
  const kid = keyId(key);
  return {
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
      return [VERSION, kid, ...parts].join('.');
    },
    open(sealed, context) {
      const [version, sealedKid, iv, tag, ciphertext, ...rest] = sealed.split('.');
      if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined || rest.length > 0) {
        throw new SecretBoxError('not a sealed value');
      }
      if (sealedKid !== kid) throw new SecretBoxError('sealed under another SECRETS_KEY');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('the sealed value was altered or belongs to another context');
      }
    },
  };
}
