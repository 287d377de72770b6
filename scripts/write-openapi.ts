import { writeFileSync } from 'node:fs';
import { generateOpenapiYaml } from '../src/openapi.js';

writeFileSync(new URL('../openapi.yaml', import.meta.url), await generateOpenapiYaml());
process.stdout.write('openapi.yaml written\n');
