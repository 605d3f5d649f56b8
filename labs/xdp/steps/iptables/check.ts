import { fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { attachedOn, IP, judgeDrop, LAB, mapsOf, PORT, rulesIn } from '../../lib/probe.ts';

const port = PORT.iptables;

/** Netfilter rules on lab that name the port, from every place a learner may have put them. */
async function netfilterRules(ctx: CheckContext): Promise<string[]> {
  const r = await ctx.exec(
    `{ iptables-nft-save 2>/dev/null; grep -qx raw /proc/net/ip_tables_names 2>/dev/null || grep -qx filter /proc/net/ip_tables_names 2>/dev/null && iptables-legacy-save 2>/dev/null; nft list ruleset 2>/dev/null; } | grep -E '(dport|dpt)[: ]+${port}\\b' || true`,
    { node: LAB },
  );
  return [
    ...new Set(
      r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
}

/**
 * Passes when netfilter on lab drops gen → UDP 9003 while gen → 9009 and client → 9003 pass,
 * and neither BPF program holds a rule for 9003 (the drop must be netfilter's own).
 */
export default async function check(ctx: CheckContext) {
  const expected = `a netfilter rule on ${LAB} dropping ${IP.gen} → UDP ${port} (iptables raw PREROUTING, or nft); other traffic passing`;
  const rules = await netfilterRules(ctx);
  if (!rules.length)
    return fail(`no iptables or nft rule on ${LAB} names port ${port} yet: iptables -t raw -A PREROUTING -s ${IP.gen} -p udp --dport ${port} -j DROP`, {
      expected,
      actual: 'no rule with dport 9003',
    });
  // A BPF rule for 9003 would make the drop pass without netfilter doing it.
  for (const a of (await attachedOn(ctx, LAB)).filter((x) => x.name === 'xdp_drop' || x.name === 'tc_drop')) {
    const id = (await mapsOf(ctx, a.id)).get(a.name === 'xdp_drop' ? 'xdp_rules' : 'tc_rules');
    const bpf = id === undefined ? [] : (await rulesIn(ctx, id)).filter((r) => r.includes(`→ ${port}/`));
    if (bpf.length)
      return fail(`${a.name} holds a rule for port ${port} (${bpf.join(', ')}): this step is about netfilter doing the drop; remove it with xdpdrop unblock`, {
        expected,
        actual: rules.join(' | '),
      });
  }
  const { problem, actual } = await judgeDrop(ctx, port);
  const seen = `${actual}; rules: ${rules.join(' | ')}`;
  if (problem) {
    const hint = problem.includes('still reach') ? ': the rule must match packets coming in (PREROUTING or INPUT, not OUTPUT) from source -s ' + IP.gen : '';
    return fail(`${problem}${hint}`, { expected, actual: seen });
  }
  return pass(`netfilter on ${LAB} drops gen → UDP ${port} and lets other traffic pass`, { expected, actual: seen });
}
