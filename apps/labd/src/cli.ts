import { writeFileSync } from 'node:fs';
import type { DriverName } from '@ebpf-lab/lab-spec';
import type { CheckResult } from '@ebpf-lab/check-sdk';
import { intFlag, parseArgs, strFlag, type ParsedArgs } from './cli-args.ts';
import { configFrom, initConfig, readEnv } from './config.ts';
import { LabError, usageError } from './errors.ts';

// Each command loads only what it uses: `lab list` should not parse the grader, the selftest
// runner or the terminal code (a whole `lab` process is the unit a user waits for).
const doctorMod = () => import('./doctor.ts');
const registry = () => import('./drivers/registry.ts');
const engine = () => import('./engine.ts');
const gradeMod = () => import('./grade.ts');
const gradeClass = () => import('./grade-class.ts');
const instances = () => import('./instances.ts');
const selftestMod = () => import('./selftest.ts');
const cliShell = () => import('./cli-shell.ts');
const holdersMod = () => import('./sessions/holder/holders.ts');
const restore = () => import('./sessions/holder/restore.ts');

const HELP = `lab — eBPF Lab command line

  lab doctor [--json] [--fresh]             what this kernel and machine can do, with fixes
  lab labs [--json]                         labs in labs/ (broken ones say why)
  lab up <lab> [--driver D] [--json]        start a lab; prints its instance id
  lab list [--json]                         running lab instances
  lab exec <instance> [--node N] [--timeout S] -- CMD...
  lab shell <instance> [--node N]           interactive shell inside the lab
  lab check <instance> [--step ID] [--json] run checks
  lab solve <instance> [--step ID]          run the reference solution
  lab down <instance>...                    stop labs and remove everything they made
  lab reap [--all] [--driver D] [--json]    remove leftovers of labs that are no longer running
  lab selftest [LAB...] [--repeat N] [--driver D] [--step ID] [--jobs N] [--reference-only] [--json]
                                            fresh → fail, solve → pass, wrong/ caught, alt/ accepted
  lab grade <lab> --submission DIR [--json FILE] [--junit FILE]
  lab grade <lab> --submissions DIR [--csv FILE] [--jobs N]   one subfolder per learner → one evidence CSV
  lab serve [--host H] [--port P] [--state-dir DIR]   run labd, the HTTP/WebSocket daemon
`;

const json = (args: ParsedArgs) => args.flags.has('json');
const out = (s: string) => process.stdout.write(`${s}\n`);

// Filled by main only when --driver is given: the lab-spec module (lab schema, YAML parser) is
// more code than `lab list` or `lab down` need at all.
let DRIVER_NAMES: readonly string[] = [];

function driverFlag(args: ParsedArgs): DriverName | undefined {
  const d = strFlag(args, 'driver');
  if (d !== undefined && !DRIVER_NAMES.includes(d)) throw usageError(`unknown driver "${d}"`, `drivers: ${DRIVER_NAMES.join(', ')}`);
  return d as DriverName | undefined;
}

function need(args: ParsedArgs, what: string): string {
  const v = args.positional[0];
  if (!v) throw usageError(`missing ${what}`, HELP);
  return v;
}

const icon = { pass: '✔ pass ', fail: '✘ fail ', error: '⚠ error' } as const;
function printChecks(rs: CheckResult[]): void {
  for (const r of rs) {
    out(`${icon[r.status]}  ${r.step}: ${r.message} (${r.ms} ms)`);
    if (r.expected !== undefined) out(`          expected: ${r.expected}`);
    if (r.actual !== undefined) out(`          actual:   ${r.actual}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...restArgv] = argv;
  // `lab grade --json FILE` names a file; everywhere else --json is a switch.
  const args = parseArgs(restArgv, [
    'driver',
    'node',
    'timeout',
    'step',
    'repeat',
    'submission',
    'submissions',
    'csv',
    'jobs',
    'junit',
    ...(cmd === 'grade' ? ['json'] : []),
  ]);
  // The one Config of this process, from the environment, parsed before any command runs: a bad
  // variable stops every command with its name, not only the ones that happen to read it.
  if (cmd && !['serve', 'help', '--help', '-h'].includes(cmd)) initConfig(configFrom(readEnv()));
  if (strFlag(args, 'driver') !== undefined) ({ DRIVER_NAMES } = await import('@ebpf-lab/lab-spec'));
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(HELP);
      return 0;
    case 'serve':
      // labd parses the environment together with its own flags (--state-dir) and sets the Config.
      return (await import('./labd.ts')).serve(restArgv);
    case 'doctor': {
      const { doctor } = await doctorMod();
      const rep = await doctor({ fresh: args.flags.has('fresh'), vm: true });
      if (json(args)) {
        out(JSON.stringify(rep, null, 2));
        return 0;
      }
      out(`kernel ${rep.kernel}`);
      for (const i of rep.items)
        out(`${i.ok === true ? '✔' : i.ok === false ? '✘' : '?'} ${i.name.padEnd(11)} ${i.detail}${i.fix ? `\n              fix: ${i.fix}` : ''}`);
      return 0;
    }
    case 'labs': {
      const labs = (await engine()).allLabs();
      if (json(args)) {
        out(
          JSON.stringify(
            labs.map((r) =>
              r.ok
                ? { id: r.lab.spec.id, ok: true, title: r.lab.spec.title, drivers: r.lab.spec.drivers, steps: r.lab.steps.map((s) => s.id) }
                : { id: r.id, ok: false, error: r.error.message },
            ),
            null,
            2,
          ),
        );
        return 0;
      }
      for (const r of labs)
        out(r.ok ? `${r.lab.spec.id.padEnd(22)} ${r.lab.spec.title} [${r.lab.spec.drivers.join(', ')}]` : `${r.id.padEnd(22)} BROKEN: ${r.error.message}`);
      return labs.every((r) => r.ok) ? 0 : 1;
    }
    case 'up': {
      const labId = need(args, 'lab id (see: lab labs)');
      const { upLab } = await engine();
      const { inst } = await upLab(labId, driverFlag(args), (p) => {
        if (!json(args)) process.stderr.write(`  ${p.phase}: ${p.message}\n`);
      });
      if (json(args)) out(JSON.stringify(inst.state));
      else out(inst.state.id);
      return 0;
    }
    case 'list': {
      const [{ listStateIds, loadState }, { getDriver }] = await Promise.all([instances(), registry()]);
      const states = listStateIds()
        .map(loadState)
        .filter((s) => s !== null);
      const rows = await Promise.all(
        states.map(async (s) => {
          const inst = (await getDriver(s.driver)).attach(s);
          const alive = await inst.alive();
          return { ...s, alive, problem: (alive && (await inst.problem?.())) || null };
        }),
      );
      if (json(args)) {
        out(JSON.stringify(rows, null, 2));
        return 0;
      }
      for (const r of rows) {
        out(`${r.id}  ${r.labId.padEnd(20)} ${r.driver.padEnd(7)} ${r.problem ? 'PAUSED' : r.alive ? 'running' : 'DEAD (lab reap)'}  ${r.createdAt}`);
        if (r.problem) out(`        ${r.problem}`);
      }
      return 0;
    }
    case 'exec': {
      const { inst } = await (await engine()).openInstance(need(args, 'instance id'));
      if (args.rest.length === 0) throw usageError('nothing to run', 'usage: lab exec <instance> -- CMD...');
      const cmdline = args.rest.length === 1 ? args.rest[0]! : args.rest.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      const r = await inst.exec(cmdline, { node: strFlag(args, 'node'), timeoutMs: intFlag(args, 'timeout', 600, 1, 86400) * 1000 });
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      if (r.timedOut) process.stderr.write(`lab: the command timed out\n`);
      return r.code;
    }
    case 'shell': {
      const [{ openInstance }, { attachTerminal }] = await Promise.all([engine(), cliShell()]);
      const { inst } = await openInstance(need(args, 'instance id'));
      return attachTerminal(inst, strFlag(args, 'node'));
    }
    case 'check': {
      const { openInstance, checkSteps } = await engine();
      const { lab, inst } = await openInstance(need(args, 'instance id'));
      const rs = await checkSteps(inst, lab, strFlag(args, 'step'));
      if (json(args)) out(JSON.stringify(rs, null, 2));
      else printChecks(rs);
      return rs.every((r) => r.status === 'pass') ? 0 : rs.some((r) => r.status === 'error') ? 3 : 1;
    }
    case 'solve': {
      const { openInstance, solveSteps } = await engine();
      const { lab, inst } = await openInstance(need(args, 'instance id'));
      await solveSteps(inst, lab, strFlag(args, 'step'));
      return 0;
    }
    case 'down': {
      if (args.positional.length === 0) throw usageError('missing instance id', 'usage: lab down <instance>...');
      const [{ loadState }, { getDriver }, { endHoldersOf }] = await Promise.all([instances(), registry(), holdersMod()]);
      for (const id of args.positional) {
        const s = loadState(id);
        if (!s) throw usageError(`no lab instance "${id}"`, 'see: lab list');
        await (await getDriver(s.driver)).attach(s).down();
        await endHoldersOf(id); // its terminals' shells (held outside labd) go with it
        out(`${id} down`);
      }
      return 0;
    }
    case 'reap': {
      const all = args.flags.has('all');
      const [{ driverNames, getDriver }, { reapHolders }, { instanceLive }] = await Promise.all([registry(), holdersMod(), restore()]);
      const reports: { driver: string; removed: string[]; kept: string[]; errors: string[]; skipped?: string }[] = [];
      // Every driver reaps its own leftovers; one whose tools are absent has nothing to reap and says so.
      for (const d of driverFlag(args) ? [driverFlag(args)!] : driverNames()) {
        try {
          reports.push({ driver: d, ...(await (await getDriver(d)).reap({ all })) });
        } catch (e) {
          reports.push({ driver: d, removed: [], kept: [], errors: [], skipped: (e as Error).message.split('\n')[0] });
        }
      }
      // Terminal holders whose lab is gone (labd normally ends them; this catches a crashed labd's).
      const holders = await reapHolders(all ? async () => false : instanceLive);
      if (holders.length) reports.push({ driver: 'terminals', removed: holders, kept: [], errors: [] });
      if (json(args)) out(JSON.stringify(reports, null, 2));
      else
        for (const r of reports)
          out(
            r.skipped
              ? `${r.driver}: skipped (${r.skipped})`
              : `${r.driver}: removed ${r.removed.length} (${r.removed.join(' ') || '-'}), kept ${r.kept.length} running${r.errors.length ? `\n  errors: ${r.errors.join('\n  ')}` : ''}`,
          );
      return reports.every((r) => r.errors.length === 0) ? 0 : 1;
    }
    case 'selftest': {
      const [{ allLabs }, { selftest, formatTable }] = await Promise.all([engine(), selftestMod()]);
      const ids = args.positional.length
        ? args.positional
        : allLabs()
            .filter((r) => r.ok && r.lab.spec.drivers.includes(driverFlag(args) ?? 'netns'))
            .map((r) => (r.ok ? r.lab.spec.id : ''));
      // A lab left out for its driver is a skip, and says so (scripts/test.sh counts SKIP lines).
      if (!args.positional.length)
        for (const r of allLabs())
          if (r.ok && !ids.includes(r.lab.spec.id))
            process.stderr.write(`SKIP: selftest ${r.lab.spec.id} — runs on ${r.lab.spec.drivers.join(', ')}, not ${driverFlag(args) ?? 'netns'}\n`);
      const step = strFlag(args, 'step');
      if (step && ids.length !== 1) throw usageError('--step needs exactly one lab', 'e.g. lab selftest hello-ebpf --step map');
      const rep = await selftest(ids, {
        repeat: intFlag(args, 'repeat', 1, 1, 100),
        driver: driverFlag(args),
        step,
        variants: !args.flags.has('reference-only'),
        jobs: intFlag(args, 'jobs', 1, 1, 16),
        log: (l) => {
          if (!json(args)) out(l);
        },
      });
      if (json(args)) out(JSON.stringify(rep, null, 2));
      else {
        out(`\n${formatTable(rep.table)}\n`);
        const bad = rep.runs.filter((r) => !r.ok).length;
        out(`selftest: ${rep.runs.length - bad} runs passed, ${bad} failed, ${rep.flaky.length} flaky, ${(rep.ms / 1000).toFixed(1)} s`);
      }
      return rep.ok ? 0 : 1;
    }
    case 'grade': {
      const labId = need(args, 'lab id');
      const many = strFlag(args, 'submissions');
      if (many) {
        // The CSV goes to --csv FILE, else to stdout; progress goes to stderr so stdout stays CSV.
        const { gradeSubmissions, evidenceCsv } = await gradeClass();
        const g = await gradeSubmissions(labId, many, {
          driver: driverFlag(args),
          jobs: intFlag(args, 'jobs', 1, 1, 16),
          onLearner: (l, s) => process.stderr.write(`graded ${l}: ${s}\n`),
          onDriver: (d) => process.stderr.write(`grading on the ${d} driver\n`),
        });
        const csvFile = strFlag(args, 'csv');
        if (csvFile) {
          writeFileSync(csvFile, evidenceCsv(g));
          process.stderr.write(`wrote ${csvFile} (${g.rows.length} rows, ${g.learners.length} learners)\n`);
        } else process.stdout.write(evidenceCsv(g));
        return 0;
      }
      const sub = strFlag(args, 'submission');
      if (!sub)
        throw usageError(
          'missing --submission DIR (or --submissions DIR)',
          'usage: lab grade <lab> --submission DIR [--json FILE] [--junit FILE], or lab grade <lab> --submissions DIR [--csv FILE]',
        );
      const { grade, toJUnit } = await gradeMod();
      const rep = await grade(labId, sub, driverFlag(args));
      const jf = strFlag(args, 'json');
      if (jf) writeFileSync(jf, JSON.stringify(rep, null, 2));
      const junit = strFlag(args, 'junit');
      if (junit) writeFileSync(junit, toJUnit(rep));
      printChecks(rep.results);
      out(`score: ${rep.score}/${rep.max}`);
      return 0;
    }
    default:
      throw usageError(`unknown command "${cmd}"`, HELP);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof LabError) {
      process.stderr.write(`lab: ${e.message}\n${e.hint ? `  ${e.hint.split('\n').join('\n  ')}\n` : ''}`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`lab: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
