import { createHighlighter, type Highlighter } from 'shiki';
import { isElement, mapCodeBlocks, textOf, type HastElement, type HastParent } from './hast';

const THEME = 'github-light';
const LANGS = ['bash', 'shell', 'c', 'json', 'yaml', 'diff', 'typescript', 'text'] as const;
const ALIASES: Record<string, string> = { sh: 'bash', console: 'bash', bt: 'c', bpftrace: 'c', ts: 'typescript', txt: 'text' };

let highlighter: Promise<Highlighter> | undefined;
function getHighlighter(): Promise<Highlighter> {
  highlighter ??= createHighlighter({ themes: [THEME], langs: [...LANGS] });
  return highlighter;
}

function languageOf(code: HastElement): string {
  const classes = code.properties.className;
  const cls = Array.isArray(classes) ? classes.map(String).find((c) => c.startsWith('language-')) : undefined;
  const lang = cls?.slice('language-'.length) ?? 'text';
  const resolved = ALIASES[lang] ?? lang;
  return (LANGS as readonly string[]).includes(resolved) ? resolved : 'text';
}

/** Highlights every fenced block on the server (no highlighter ships to the browser). */
export default function rehypeShiki() {
  return async (tree: HastParent) => {
    const hl = await getHighlighter();
    await mapCodeBlocks(tree, (pre, code) => {
      const root = hl.codeToHast(textOf(code).replace(/\n$/, ''), { lang: languageOf(code), theme: THEME }) as unknown as HastParent;
      const out = root.children.find((n) => isElement(n, 'pre'));
      if (!isElement(out)) return pre;
      // Keep what earlier plugins put on the block (e.g. rehype-run-meta's data-run).
      for (const [k, v] of Object.entries(pre.properties)) if (k.startsWith('data')) out.properties[k] = v;
      out.properties.dataLang = languageOf(code);
      return out;
    });
  };
}
