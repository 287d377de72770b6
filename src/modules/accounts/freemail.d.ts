declare module '@activeprospect/freemail' {
  /** True for an address (or bare domain) of a free or disposable mail provider. */
  export function isFree(email: string): boolean;
  const freemail: { isFree: typeof isFree };
  export default freemail;
}
