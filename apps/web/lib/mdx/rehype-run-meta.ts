import { mapCodeBlocks, textOf, type HastParent } from './hast';

/**
 * ```bash run``` → the block's `pre` gets data-run and data-code (its text), which the `pre`
 * MDX component turns into a Run button. The meta is a word list: `run` anywhere in it counts.
 */
export default function rehypeRunMeta() {
  return async (tree: HastParent) => {
    await mapCodeBlocks(tree, (pre, code) => {
      const meta = typeof code.data?.meta === 'string' ? code.data.meta : '';
      if (meta.split(/\s+/).includes('run')) {
        pre.properties.dataRun = 'true';
        pre.properties.dataCode = textOf(code).replace(/\n$/, '');
      }
      return pre;
    });
  };
}
