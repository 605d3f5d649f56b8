/** Instance ids are 6 lower-case base-36 characters (instances.ts makes them). */
export const INSTANCE_ID_PATTERN = '[a-z0-9]{6}';
/**
 * Every host resource a lab makes (namespaces, links, cgroups, kind clusters, QEMU guests) is
 * named `el<id>…`, so `lab reap` can find leftovers of any driver. The one regex for that prefix.
 */
export const PREFIX_RE = new RegExp(`^el(${INSTANCE_ID_PATTERN})(.*)$`, 's');
export const prefixOf = (id: string) => `el${id}`;

/**
 * The instance a resource name belongs to, or null when it is not a lab's. `rest` is what may
 * follow the prefix: 'none' for names that are the prefix itself (a cgroup, a kind cluster),
 * 'dash' for `el<id>-<node>` (a member's netns), 'any' for host links (`el<id>h1`, `el<id>-sw`).
 */
export function instanceIdOf(name: string, rest: 'none' | 'dash' | 'any'): string | null {
  const m = PREFIX_RE.exec(name);
  if (!m) return null;
  const tail = m[2]!;
  if (rest === 'none' && tail !== '') return null;
  if (rest === 'dash' && !tail.startsWith('-')) return null;
  return m[1]!;
}
