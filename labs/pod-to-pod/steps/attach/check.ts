import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { PIN_DIR, POLICY_DEV, POLICY_NODE, PROG_NAME, policyTc, type TcEntry } from '../../lib/cluster.ts';

const NODES = ['k8s-s', 'k8s-w1', 'k8s-w2'];

/** Where else to_container sits (another node, another veth): the usual way this step goes wrong. */
async function elsewhere(ctx: CheckContext): Promise<string[]> {
  const found: string[] = [];
  for (const node of NODES) {
    const r = await ctx.exec('bpftool -j net show', { node });
    if (r.code !== 0) continue;
    let net: { tc?: TcEntry[] }[] = [];
    try {
      net = JSON.parse(r.stdout);
    } catch {
      continue;
    }
    for (const t of net.flatMap((n) => n.tc ?? [])) {
      if ((t.name ?? '').split(':')[0] === PROG_NAME && !(node === POLICY_NODE && t.devname === POLICY_DEV)) found.push(`${node} ${t.devname} ${t.kind}`);
    }
  }
  return found;
}

/**
 * Passes when to_container is attached at tc egress of lxc-deathstar on the deathstar's node
 * (the direction toward the pod) and uses the maps pinned in that node's /sys/fs/bpf/idpolicy.
 */
export default async function check(ctx: CheckContext) {
  const dev = await ctx.exec(`ip link show dev ${POLICY_DEV}`, { node: POLICY_NODE });
  if (dev.code !== 0) return checkError(`node ${POLICY_NODE} has no ${POLICY_DEV}: the lab network is broken (restart the lab)`);
  const { all, ours, egress } = await policyTc(ctx);
  const actual = all.length ? all.map((t) => `${t.kind} ${t.name ?? '?'} (id ${t.id})`).join(', ') : `no tc programs on ${POLICY_DEV}`;
  if (!egress) {
    const why = ours.length
      ? `${PROG_NAME} is on ${POLICY_DEV} but at ${ours[0]!.kind}: that direction carries what the pod sends; the policy must see what the node sends to the pod (egress)`
      : `${PROG_NAME} is not attached to ${POLICY_DEV} on ${POLICY_NODE} yet: build bpf/idpolicy and run ./bpf/.output/idpolicy attach ${POLICY_DEV} in ${POLICY_NODE}'s terminal`;
    const other = await elsewhere(ctx);
    const where = `${PROG_NAME} is attached at ${other.join('; ')}, not at ${POLICY_DEV} on ${POLICY_NODE}: packets for deathstar never pass there. Detach it there (./bpf/.output/idpolicy detach DEV on that node) and run ./bpf/.output/idpolicy attach ${POLICY_DEV} in ${POLICY_NODE}'s terminal`;
    return fail(other.length && !ours.length ? where : why, {
      expected: `clsact/egress ${PROG_NAME} on ${POLICY_DEV} of ${POLICY_NODE}`,
      actual: other.length ? `${actual}; elsewhere: ${other.join('; ')}` : actual,
    });
  }
  const prog = await ctx.json<{ map_ids?: number[] }>(`bpftool -j prog show id ${egress.id}`, { node: POLICY_NODE });
  const pinned = await ctx.exec(`bpftool -j map show pinned ${PIN_DIR}/idp_ipcache`, { node: POLICY_NODE });
  const pinnedId = pinned.code === 0 ? (JSON.parse(pinned.stdout) as { id: number }).id : null;
  if (pinnedId === null || !(prog.map_ids ?? []).includes(pinnedId)) {
    return fail(
      `${PROG_NAME} is attached, but it does not use ${PIN_DIR}/idp_ipcache on ${POLICY_NODE}, so identities you write there would not reach it: attach it with idpolicy on ${POLICY_NODE}`,
      {
        expected: `program ${egress.id} using the pinned idp_ipcache`,
        actual: `program maps ${JSON.stringify(prog.map_ids ?? [])}, pinned idp_ipcache ${pinnedId ?? 'missing'}`,
      },
    );
  }
  return pass(
    `${PROG_NAME} (prog id ${egress.id}) sees every packet ${POLICY_NODE} sends into deathstar (tc egress of ${POLICY_DEV}), with its maps pinned in ${PIN_DIR}`,
    { actual },
  );
}
