/** Transpiles `<checkout>/src` into `<checkout>/dist` (scripts/build-server.mjs); answers the output directory. */
export function buildServer(checkout: string): Promise<string>;
