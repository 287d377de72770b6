/** How the test run reaches its database; chosen once by global-setup and handed to every file. */
export type TestDbInfo =
  | { kind: 'postgres'; adminUrl: string; template: string }
  | { kind: 'pglite'; dumpFile: string };

declare module 'vitest' {
  interface ProvidedContext {
    testDb: TestDbInfo;
  }
}

/** The URL of database `name` on the server of `url`. */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
