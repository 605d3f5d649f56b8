// Types for build.mjs (plain JS so that it runs at postinstall without a TypeScript loader).
export function buildLabd(opts?: {
  repo?: string;
  dist?: string;
  entryPoints?: Record<string, string>;
  attempts?: number;
  afterBundle?: (attempt: number) => void | Promise<void>;
}): Promise<number>;
