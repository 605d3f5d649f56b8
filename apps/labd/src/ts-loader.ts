/**
 * Lab checks are TypeScript files imported at run time. From the sources (tsx) they just load;
 * from the build in apps/labd/dist (bin/build.mjs defines __ELAB_BUILT__) tsx's loader is
 * registered on the first check instead of at every start, so `lab list` or `lab up` never pay for it.
 */
declare const __ELAB_BUILT__: boolean | undefined;

let registered: Promise<void> | undefined;

export function ensureTsLoader(): Promise<void> {
  if (typeof __ELAB_BUILT__ === 'undefined') return Promise.resolve();
  return (registered ??= import('tsx/esm/api').then((m) => {
    m.register();
  }));
}
