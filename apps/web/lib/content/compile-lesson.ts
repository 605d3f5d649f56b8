import { evaluate } from '@mdx-js/mdx';
import type { MDXContent } from 'mdx/types';
import * as runtime from 'react/jsx-runtime';
import { SpecError } from '@ebpf-lab/lab-spec';
import rehypeRunMeta from '../mdx/rehype-run-meta';
import rehypeShiki from '../mdx/rehype-shiki';

type Compiled = { ok: true; Content: MDXContent } | { ok: false; error: SpecError };

// Keyed by file and mtime: an edited lesson recompiles on the next request, others are reused.
const cache = new Map<string, Promise<Compiled>>();

/** Compiles a lesson body to a component on the server; an MDX error names the file and line. */
export function compileLesson(file: string, mtimeMs: number, body: string, bodyLine: number): Promise<Compiled> {
  const key = `${file}\0${mtimeMs}`;
  let hit = cache.get(key);
  if (!hit) {
    for (const k of cache.keys()) if (k.startsWith(`${file}\0`)) cache.delete(k);
    hit = compile(file, body, bodyLine);
    cache.set(key, hit);
  }
  return hit;
}

async function compile(file: string, body: string, bodyLine: number): Promise<Compiled> {
  try {
    const mod = await evaluate(body, {
      ...runtime,
      development: false,
      rehypePlugins: [rehypeRunMeta, rehypeShiki],
    });
    return { ok: true, Content: mod.default };
  } catch (e) {
    // A VFileMessage: `place` is a point or a position (vfile-message 4), `line` the older form.
    type Point = { line?: number; column?: number };
    const err = e as Point & { place?: Point & { start?: Point }; reason?: string; message?: string };
    // Some MDX errors (unclosed JSX) carry the position only in the reason: "… (4:1-4:7)".
    const inText = /\((\d+):(\d+)(?:-\d+:\d+)?\)\s*$/.exec(err.reason ?? err.message ?? '');
    const at: Point =
      err.place?.start ?? err.place ?? (typeof err.line === 'number' ? err : inText ? { line: Number(inText[1]), column: Number(inText[2]) } : {});
    const where = typeof at.line === 'number' ? `line ${at.line + bodyLine - 1}${at.column ? `, column ${at.column}` : ''}` : 'body';
    return { ok: false, error: new SpecError(file, [{ field: where, message: `MDX: ${err.reason ?? err.message ?? String(e)}` }]) };
  }
}
