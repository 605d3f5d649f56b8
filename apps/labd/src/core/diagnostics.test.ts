import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClangDiagnostics, parseVerifierLog, workdirPath } from './diagnostics.ts';

// Shape of a real libbpf/bpftool rejection on kernel 6.18 (trimmed), with a branch-state line,
// line-info comments and the statistics that follow the error.
const VERIFIER_LOG = `libbpf: prog 'hello_kprobe': BPF program load failed: Permission denied
libbpf: prog 'hello_kprobe': -- BEGIN PROG LOAD LOG --
0: R1=ctx() R10=fp0
; int BPF_KSYSCALL(hello_kprobe, const char *filename) @ hello.bpf.c:67
0: (18) r2 = 0xffffc90000ea2000       ; R2=map_value(map=hello.kconfig,ks=4,vs=1)
3: (15) if r2 == 0x0 goto pc+46       ; R2=0
3: R2=0
; count = bpf_map_lookup_elem(&exec_count, &uid); @ hello.bpf.c:32
62: (85) call bpf_map_lookup_elem#1   ; R0=map_value_or_null(id=2,map=exec_count,ks=4,vs=8)
; *count += 1; @ hello.bpf.c:33
63: (79) r1 = *(u64 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
processed 15 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
-- END PROG LOAD LOG --
libbpf: prog 'hello_kprobe': failed to load: -13
Error: failed to load object file`;

test('the verifier error maps to the last line-info comment before the failing instruction', () => {
  const d = parseVerifierLog(VERIFIER_LOG, (f) => `bpf/hello/${f}`);
  assert.equal(d.length, 1);
  assert.deepEqual({ file: d[0]!.file, line: d[0]!.line, severity: d[0]!.severity }, { file: 'bpf/hello/hello.bpf.c', line: 33, severity: 'error' });
  assert.match(d[0]!.message, /hello_kprobe/);
  assert.match(d[0]!.message, /R0 invalid mem access 'map_value_or_null'/);
  assert.match(d[0]!.message, /insn 63: \(79\) r1 = \*\(u64 \*\)\(r0 \+0\)/);
  assert.doesNotMatch(d[0]!.message, /processed/);
});

test('a load failure without a verifier log (or without line info) gives no made-up position', () => {
  assert.deepEqual(
    parseVerifierLog("libbpf: map 'events': failed to create: Invalid argument(-22)\nError: failed to load object file", (f) => f),
    [],
  );
  assert.deepEqual(
    parseVerifierLog("libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n0: (b7) r0 = 0\nR0 !read_ok\n-- END PROG LOAD LOG --", (f) => f),
    [],
  );
});

test('clang diagnostics: path made relative to the lab workdir, severities, notes', () => {
  const log = `make: Entering directory '/work/x/bpf'
  BPF      bpf/.output/hello.bpf.o
/work/x/bpf/hello/hello.bpf.c:51:17: error: expected ';' after expression
        count_exec(uid)
                       ^
/work/x/bpf/hello/hello.bpf.c:12:5: warning: unused variable 'x' [-Wunused-variable]
/usr/include/bpf/bpf_helpers.h:3:1: note: expanded from macro 'SEC'
hello/hello.c:7:2: fatal error: 'nope.h' file not found
1 error generated.`;
  assert.deepEqual(parseClangDiagnostics(log, '/work/x'), [
    { file: 'bpf/hello/hello.bpf.c', line: 51, column: 17, severity: 'error', message: "expected ';' after expression" },
    { file: 'bpf/hello/hello.bpf.c', line: 12, column: 5, severity: 'warning', message: "unused variable 'x' [-Wunused-variable]" },
    { file: '/usr/include/bpf/bpf_helpers.h', line: 3, column: 1, severity: 'info', message: "expanded from macro 'SEC'" },
    { file: 'bpf/hello/hello.c', line: 7, column: 2, severity: 'error', message: "'nope.h' file not found" },
  ]);
  assert.equal(workdirPath('/work/x/bpf/a.c', '/work/x/'), 'bpf/a.c');
});
