// Types for build-manifest.mjs (plain JS so that bin/ starts without a TypeScript loader).
export const REPO: string;
export const DIST: string;
export function configInputs(repo?: string): string[];
export function hashInputs(inputs: string[], repo?: string, read?: (path: string) => Buffer): string;
export function stampInputs(inputs: string[], repo?: string): string[];
export function staleReason(dist?: string, repo?: string): string | null;
