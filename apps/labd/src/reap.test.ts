import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cgroup2Root } from './drivers/netns/cgroup.ts';
import { isRoot, lab, labBin, tempStateDir } from './test-support/lab-cli.ts';

const sh = (cmd: string) => execFileSync('/bin/bash', ['-c', cmd], { encoding: 'utf8' });

test('kill -9 the holder of a lab, then lab reap: nothing of it is left anywhere', { skip: !isRoot && 'needs root' }, () => {
  const stateDir = tempStateDir();
  const env = { ...process.env, ELAB_STATE_DIR: stateDir };
  const id = lab(['up', 'hello-ebpf'], { env }).stdout.trim();
  assert.match(id, /^[a-z0-9]{6}$/);
  const prefix = `el${id}`;
  // Give the lab everything reap must remove: a running loader with BPF programs attached, a pin in
  // its bpffs, and host iptables entries tagged with its prefix.
  assert.equal(lab(['solve', id, '--step', 'hello'], { env }).code, 0);
  // By id, from this lab's own loader: other labs on the machine may hold an exec_count map too.
  const pin = lab(['exec', id, '--', "bpftool map pin id $(awk '/^map_id:/ {print $2}' /proc/$(pgrep -x hello)/fdinfo/* | head -1) /sys/fs/bpf/exec_count"], {
    env,
  });
  assert.equal(pin.code, 0, pin.stderr);
  sh(`iptables -N ${prefix}-fwd && iptables -A FORWARD -m comment --comment ${prefix}-tag -j ${prefix}-fwd`);
  const loaderPid = Number(
    sh(`for p in $(cat ${join(cgroup2Root()!, 'ebpf-lab', prefix)}/*/cgroup.procs); do [ "$(cat /proc/$p/comm)" = hello ] && echo $p; done; true`).trim(),
  );
  const progIds = sh(`grep -h '^prog_id:' /proc/${loaderPid}/fdinfo/* | awk '{print $2}' | sort -u`).trim().split('\n');
  assert.ok(progIds.length > 0 && progIds[0] !== '');

  const state = JSON.parse(readFileSync(join(stateDir, 'instances', id, 'state.json'), 'utf8'));
  const holder = state.driverState.members[0].holderPid as number;
  process.kill(holder, 'SIGKILL');
  const listed = lab(['list', '--json'], { env });
  assert.equal((JSON.parse(listed.stdout) as { id: string; alive: boolean }[]).find((s) => s.id === id)?.alive, false, 'list sees the lab as dead');

  const reap = lab(['reap', '--json'], { env });
  assert.equal(reap.code, 0, reap.stderr);
  // Leftovers of other dead labs on this machine (an earlier crashed run) may go in the same reap.
  assert.ok((JSON.parse(reap.stdout)[0].removed as string[]).includes(id), reap.stdout);

  assert.ok(!sh('ip netns list').includes(prefix), 'ip netns list');
  assert.ok(!sh('ip link').includes(prefix), 'ip link');
  assert.ok(!readdirSync('/sys/fs/bpf').some((n) => n.startsWith(prefix)), '/sys/fs/bpf');
  assert.ok(!sh('iptables-save').includes(prefix), 'iptables-save');
  assert.ok(!existsSync(join(cgroup2Root()!, 'ebpf-lab', prefix)), 'cgroup');
  for (const c of ['memory', 'pids', 'cpu', 'devices']) assert.ok(!existsSync(join('/sys/fs/cgroup', c, 'ebpf-lab', prefix)), `cgroup v1 ${c} (limits)`);
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(join(stateDir, 'instances', id)), 'the workdir tmpfs is unmounted');
  assert.ok(!existsSync(join(stateDir, 'instances', id)), 'state dir');
  const stat = existsSync(`/proc/${loaderPid}/stat`) ? readFileSync(`/proc/${loaderPid}/stat`, 'utf8') : '';
  assert.ok(stat === '' || / Z /.test(stat), 'the loader is dead (gone or a zombie awaiting its parent)');
  const loaded = new Set((JSON.parse(sh('bpftool -j prog show')) as { id: number }[]).map((p) => String(p.id)));
  for (const p of progIds) assert.ok(!loaded.has(p), `BPF program ${p} was unloaded`);

  const again = lab(['reap', '--json'], { env });
  assert.deepEqual(JSON.parse(again.stdout)[0].removed, [], 'a second reap finds nothing');
});

test('reap keeps labs that are still running, even ones started under another state dir', { skip: !isRoot && 'needs root' }, () => {
  const env = { ...process.env, ELAB_STATE_DIR: tempStateDir() };
  const other = { ...process.env, ELAB_STATE_DIR: tempStateDir() };
  const id = lab(['up', 'hello-ebpf'], { env }).stdout.trim();
  try {
    for (const e of [env, other]) {
      const reap = JSON.parse(lab(['reap', '--json'], { env: e }).stdout);
      assert.ok(reap[0].kept.includes(id), `kept by a reap with state dir ${e.ELAB_STATE_DIR}`);
    }
    assert.equal(lab(['exec', id, '--', 'true'], { env }).code, 0);
  } finally {
    lab(['down', id], { env });
  }
  assert.ok(!sh('ip netns list').includes(`el${id}`), 'down removed it');
});

test(
  'kill -9 of lab up half-way through, then lab reap: mounts, cgroups of every hierarchy and netns are gone',
  { skip: !isRoot && 'needs root' },
  async () => {
    const stateDir = tempStateDir();
    const env = { ...process.env, ELAB_STATE_DIR: stateDir };
    const up = spawn(process.execPath, [labBin, 'up', 'pod-to-pod'], { env, stdio: 'ignore' });
    // Killed once the first namespace holder has built its root: the workdir is mounted, cgroups exist.
    const deadline = Date.now() + 60_000;
    let id = '';
    while (Date.now() < deadline) {
      const ids = existsSync(join(stateDir, 'instances')) ? readdirSync(join(stateDir, 'instances')) : [];
      if (ids[0] && readdirSync(join(stateDir, 'instances', ids[0])).some((f) => f.endsWith('.ready'))) {
        id = ids[0];
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    up.kill('SIGKILL');
    assert.ok(id, 'lab up got as far as a namespace holder within 60 s');
    const prefix = `el${id}`;
    assert.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(join(stateDir, 'instances', id)), 'the workdir was mounted');
    const reap = lab(['reap', '--json'], { env });
    assert.equal(reap.code, 0, reap.stderr);
    assert.ok(JSON.parse(reap.stdout)[0].removed.includes(id));
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(join(stateDir, 'instances', id)), 'no mount is left');
    for (const c of ['memory', 'pids', 'cpu', 'devices', 'unified'])
      assert.ok(!existsSync(join('/sys/fs/cgroup', c, 'ebpf-lab', prefix)), `no ${c} cgroup is left`);
    assert.ok(!sh('ip netns list').includes(prefix), 'no netns is left');
    assert.ok(!existsSync(join(stateDir, 'instances', id)), 'state dir');
  },
);
