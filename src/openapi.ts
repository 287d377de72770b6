import { stringify } from 'yaml';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createDatabase } from './db/database.js';

/** The OpenAPI document generated from the route schemas; openapi.yaml is this, committed. */
export async function generateOpenapiYaml(): Promise<string> {
  const database = await createDatabase({ kind: 'pglite' });
  try {
    const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(32) }), database });
    await app.ready();
    // A JSON round trip drops shared references, so the YAML has no anchors or aliases.
    const doc = JSON.parse(JSON.stringify(app.swagger())) as { components?: { schemas?: Record<string, unknown> } };
    // Named schemas come in module-import order, which differs between runners: sort them.
    const schemas = doc.components?.schemas;
    if (doc.components && schemas) {
      doc.components.schemas = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
    }
    const yaml = stringify(doc, { lineWidth: 0 });
    await app.close();
    return yaml;
  } finally {
    await database.close();
  }
}
