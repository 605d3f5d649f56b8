import { fail, pass, type CheckContext, type CheckOutcome } from '@ebpf-lab/check-sdk';
import { attachedOn, describe, DEV, droppedCount, IP, judgeDrop, LAB, mapsOf, PORT, rulesIn } from './probe.ts';

const WANT = {
  xdp: { prog: 'xdp_drop', hook: (h: string) => h.startsWith('xdp/'), where: 'XDP', cmd: 'attach xdp eth0' },
  tc: { prog: 'tc_drop', hook: (h: string) => h === 'clsact/ingress' || h === 'tcx/ingress', where: 'tc ingress (clsact or tcx)', cmd: 'attach tc eth0' },
} as const;

/**
 * The xdp and tc steps ask the same of different hooks: xdpdrop's program for this hook is
 * attached on lab's eth0 in the right direction, gen → its port is dropped AND counted by the
 * program's own per-CPU map, and other traffic still passes.
 */
export async function hookCheck(ctx: CheckContext, hook: 'xdp' | 'tc'): Promise<CheckOutcome> {
  const w = WANT[hook];
  const port = PORT[hook];
  const expected = `${w.prog} at ${w.where} of ${LAB}'s ${DEV}, dropping and counting gen (${IP.gen}) → UDP ${port}; other traffic passing`;
  const onLab = await attachedOn(ctx, LAB);
  const here = onLab.find((a) => a.dev === DEV && w.hook(a.hook) && a.name === w.prog);
  if (!here) {
    const elsewhere = onLab.filter((a) => a.name === w.prog);
    const onOthers = (await Promise.all(['gen', 'client'].map(async (n) => ({ n, a: await attachedOn(ctx, n) })))).filter((x) =>
      x.a.some((a) => a.name === w.prog),
    );
    const actual = [describe(LAB, onLab), ...onOthers.map((x) => describe(x.n, x.a))].join('; ');
    if (onOthers.length)
      return fail(`${w.prog} is attached on ${onOthers[0]!.n}, not on ${LAB}: the flood arrives on ${LAB}'s ${DEV}, so run the loader in ${LAB}'s terminal`, {
        expected,
        actual,
      });
    if (elsewhere.length)
      return fail(
        `${w.prog} is on ${LAB}, but at ${elsewhere[0]!.dev} ${elsewhere[0]!.hook}: it must be at ${w.where} of ${DEV}, where gen's packets come in`,
        { expected, actual },
      );
    const other = onLab.find((a) => a.dev === DEV && w.hook(a.hook));
    if (other)
      return fail(`${DEV} has ${other.name} at ${w.where}, not xdpdrop's ${w.prog}: the step counts drops in ${w.prog}'s per-CPU map`, { expected, actual });
    return fail(`${w.prog} is not attached yet: make -C bpf xdpdrop && ./bpf/.output/xdpdrop ${w.cmd}`, { expected, actual });
  }
  const maps = await mapsOf(ctx, here.id);
  const countsId = maps.get(`${hook}_counts`),
    rulesId = maps.get(`${hook}_rules`);
  if (countsId === undefined || rulesId === undefined) {
    return fail(`${w.prog} (id ${here.id}) has no ${hook}_counts or ${hook}_rules map: attach the program built from bpf/xdpdrop`, {
      expected,
      actual: `maps ${[...maps.keys()].join(', ') || 'none'}`,
    });
  }
  const rules = await rulesIn(ctx, rulesId);
  const before = await droppedCount(ctx, countsId);
  const { problem, actual, gen } = await judgeDrop(ctx, port);
  const counted = (await droppedCount(ctx, countsId)) - before;
  const seen = `${actual}; ${hook}_counts dropped +${counted}; ${hook}_rules: ${rules.join(', ') || 'empty'}`;
  if (problem) {
    const hint =
      problem.startsWith("gen's packets to UDP") && problem.includes('still reach')
        ? `: ${hook}_rules needs the rule ${IP.gen} → ${port}/udp (./bpf/.output/xdpdrop block ${hook} ${IP.gen} ${port})`
        : '';
    return fail(`${problem}${hint}`, { expected, actual: seen });
  }
  const lost = gen.sent - gen.arrived;
  if (counted < lost * 0.9) {
    return fail(`gen's packets to ${port} vanish, but ${w.prog} counted only ${counted} of ${lost} as dropped: something else drops them before ${w.where}`, {
      expected,
      actual: seen,
    });
  }
  return pass(`${w.prog} (id ${here.id}, ${here.hook}) dropped and counted ${counted} of gen's ${gen.sent} packets to UDP ${port}; other traffic passes`, {
    expected,
    actual: seen,
  });
}
