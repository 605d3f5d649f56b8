import { usageError } from './errors.ts';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
  rest: string[];
}

/**
 * Minimal argv parser: `--flag`, `--key value`, `--key=value`, and everything after `--` kept
 * verbatim. Flags that take a value are listed so `--repeat 3` is not read as a positional.
 */
export function parseArgs(argv: string[], valueFlags: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { positional, flags, rest: argv.slice(i + 1) };
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) flags.set(key, a.slice(eq + 1));
      else if (valueFlags.includes(key)) {
        const v = argv[++i];
        if (v === undefined || v.startsWith('--')) throw usageError(`--${key} needs a value`);
        flags.set(key, v);
      } else flags.set(key, true);
    } else positional.push(a);
  }
  return { positional, flags, rest: [] };
}

export function intFlag(args: ParsedArgs, name: string, dflt: number, min = 1, max = 1000): number {
  const v = args.flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`--${name} must be a whole number from ${min} to ${max}, not "${String(v)}"`);
  return n;
}

export function strFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw usageError(`--${name} needs a value`);
  return v;
}
