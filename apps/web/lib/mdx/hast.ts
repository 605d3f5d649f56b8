// The few hast shapes our rehype plugins touch (a subset of the `hast` types, kept local).
export interface HastText {
  type: 'text';
  value: string;
}
export interface HastElement {
  type: 'element';
  tagName: string;
  properties: Record<string, unknown>;
  children: HastNode[];
  data?: { meta?: string | null } & Record<string, unknown>;
}
export interface HastParent {
  type: string;
  children: HastNode[];
}
export type HastNode = HastText | HastElement | { type: string; children?: HastNode[]; value?: string };

export function isElement(node: HastNode | undefined, tagName?: string): node is HastElement {
  return !!node && node.type === 'element' && (!tagName || (node as HastElement).tagName === tagName);
}

export function textOf(node: HastNode): string {
  if (node.type === 'text') return (node as HastText).value;
  return ((node as HastParent).children ?? []).map(textOf).join('');
}

/** Calls fn on every `pre` whose only (or first) child is a `code` element, replacing it with fn's result. */
export async function mapCodeBlocks(tree: HastParent, fn: (pre: HastElement, code: HastElement) => Promise<HastElement> | HastElement): Promise<void> {
  for (let i = 0; i < tree.children.length; i++) {
    const node = tree.children[i]!;
    if (isElement(node, 'pre') && isElement(node.children[0], 'code')) {
      tree.children[i] = await fn(node, node.children[0]);
    } else if (Array.isArray((node as HastParent).children)) {
      await mapCodeBlocks(node as HastParent, fn);
    }
  }
}
