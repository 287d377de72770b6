import type { SwaggerTransform } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { Access } from '../auth/access.js';

function securityOf(access: Access | undefined): Array<Record<string, string[]>> {
  if (!access || access.auth === 'none') return [];
  if (access.auth === 'jwt') return [{ bearerAuth: [] }];
  return [{ bearerAuth: [] }, { basicAuth: [] }];
}

/** Zod → JSON Schema, plus each operation's security requirement read from its `config.access`. */
export const openapiTransform: SwaggerTransform = (input) => {
  const result = jsonSchemaTransform(input as Parameters<typeof jsonSchemaTransform>[0]);
  const access = (input.route.config as { access?: Access } | undefined)?.access;
  return { ...result, schema: { ...result.schema, security: securityOf(access) } };
};
