import { checkError, fail, pass, type CheckContext } from '@ebpf-lab/check-sdk';
import { attachedSvclb, FIRST_SERVICE, labBackends, type Svclb } from '../../lib/lab-state.ts';
import { describeProbe, probeProblem, probeVip, svclbStats } from '../../lib/probe.ts';

const TRIES = 10;

/**
 * Passes when svclb_connect4 is attached at cgroup/connect4 to this lab's cgroup (bpftool -j
 * cgroup show on the lab's cgroup root) and its services map (found through the program's own
 * map ids, then dumped raw) sends svc-1's ClusterIP:80/tcp to the lab's backend pods, AND the
 * program does the balancing: the check connects to svc-1 ten times itself, every connection
 * reaches a backend, and svclb's own rewrite counter grows by at least as many connects.
 */
export default async function check(ctx: CheckContext) {
  let lb: Svclb | null;
  let backends: string[];
  try {
    [lb, backends] = [await attachedSvclb(ctx), await labBackends(ctx)];
  } catch (e) {
    return checkError(`reading the lab's BPF state: ${(e as Error).message}`);
  }
  const expected = `svclb_connect4 attached at cgroup/connect4 of the lab cgroup; ${FIRST_SERVICE}/tcp → ${backends.join(' ')}`;
  if (!lb) {
    // Attached somewhere below the lab's cgroup? Then only processes moved there would be balanced.
    const tree = await ctx.exec('bpftool -j cgroup tree /sys/fs/cgroup');
    let below: string[] = [];
    try {
      below = (JSON.parse(tree.stdout || '[]') as { cgroup: string; programs: { name?: string }[] }[])
        .filter((c) => c.programs.some((p) => p.name === 'svclb_connect4'))
        .map((c) => c.cgroup);
    } catch {
      /* no tree: judged as not attached */
    }
    if (below.length) {
      return fail(
        `svclb_connect4 is attached to ${below.join(', ')}, a cgroup the lab's shells (and the check) do not run in, so no connect of theirs is balanced: ./bpf/.output/svclb detach, then ./bpf/.output/svclb attach (it defaults to /sys/fs/cgroup, the lab's own cgroup)`,
        {
          expected,
          actual: `svclb_connect4 at cgroup_inet4_connect on ${below.join(', ')}; nothing on /sys/fs/cgroup`,
        },
      );
    }
    return fail("svclb is not attached to this lab's cgroup yet: build it (make -C bpf svclb) and run ./bpf/.output/svclb attach", {
      expected,
      actual: 'no program named svclb_connect4 at cgroup_inet4_connect on /sys/fs/cgroup',
    });
  }
  if (lb.mapId < 0)
    return fail(`svclb_connect4 (prog ${lb.progId}) is attached but has no map named services: rebuild it from bpf/svclb`, {
      expected,
      actual: `prog ${lb.progId} without a services map`,
    });
  const actual = `prog ${lb.progId} attached; services map ${lb.mapId} holds ${lb.services.length} service(s)${
    lb.services.length
      ? `: ${lb.services
          .slice(0, 3)
          .map((s) => `${s.service}/${s.proto} → ${s.backends.join(' ')}`)
          .join('; ')}`
      : ''
  }`;
  const svc = lb.services.find((s) => s.service === FIRST_SERVICE && s.proto === 'tcp');
  if (!svc)
    return fail(`svclb is attached, but its map has no entry for svc-1 yet: ./bpf/.output/svclb add ${FIRST_SERVICE} ${backends.join(' ')}`, {
      expected,
      actual,
    });
  const strangers = svc.backends.filter((b) => !backends.includes(b));
  if (svc.backends.length === 0 || strangers.length) {
    return fail(`svc-1's entry must list the lab's backend pods (${backends.join(' ')})${strangers.length ? `, not ${strangers.join(' ')}` : ''}`, {
      expected,
      actual,
    });
  }
  let before, after, probe;
  try {
    before = await svclbStats(ctx, lb.progId);
    probe = await probeVip(ctx, FIRST_SERVICE.split(':')[0]!, TRIES);
    after = await svclbStats(ctx, lb.progId);
  } catch (e) {
    return checkError(`reading svclb's counters: ${(e as Error).message}`);
  }
  if (!before || !after)
    return fail(`svclb_connect4 (prog ${lb.progId}) has no stats map: rebuild it from bpf/svclb with make -C bpf svclb`, { expected, actual });
  const grew = after.rewrites - before.rewrites;
  const seen = `${actual}; ${describeProbe(probe)}; rewrites ${before.rewrites} → ${after.rewrites}`;
  if (grew < probe.answers.length || grew < TRIES) {
    return fail(
      `the check connected to ${FIRST_SERVICE} ${TRIES} times but svclb rewrote only ${grew} of them: is the program attached to this lab's cgroup (/sys/fs/cgroup), where the lab's shells run? ./bpf/.output/svclb detach, then ./bpf/.output/svclb attach`,
      { expected: `${expected}; rewrites grow by ${TRIES}`, actual: seen },
    );
  }
  const broken = probeProblem(probe, TRIES);
  if (broken)
    return fail(`svclb rewrites connections to ${FIRST_SERVICE}, but ${broken}: the backends in its entry must be the pods in .lab/backends, port 8080`, {
      expected,
      actual: seen,
    });
  return pass(
    `svclb_connect4 (prog ${lb.progId}) is attached to the lab's cgroup and balanced ${grew} of the check's connections to ${FIRST_SERVICE} over ${new Set(probe.answers).size} backends`,
    { expected, actual: seen },
  );
}
