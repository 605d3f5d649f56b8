import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dhcpRetries, keepConsoles } from './vagrant-cli.ts';

// Console text as scripts/vm/guest-init.sh writes it on a box's serial console.
const RETRIED = 'ebpf-lab-vm: DHCP: no lease on eth0 yet, trying again\r\nebpf-lab-vm: hostkey ssh-ed25519 AAAA\r\nebpf-lab-vm: ready\r\n';
const CLEAN = 'ebpf-lab-vm: hostkey ssh-ed25519 AAAA\r\nebpf-lab-vm: ready\r\n';

test('DHCP retries are counted per machine from the consoles; a clean boot counts none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'elab-consoles-'));
  try {
    writeFileSync(join(dir, 'console-k8s-s.log'), CLEAN);
    writeFileSync(join(dir, 'console-k8s-w2.log'), RETRIED + RETRIED);
    writeFileSync(join(dir, 'vagrant-up.log'), RETRIED); // not a console
    assert.deepEqual(dhcpRetries(dir), [{ machine: 'k8s-w2', retries: 2 }]);
    assert.deepEqual(dhcpRetries(join(dir, 'gone')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed up keeps every console under logs/, named by instance and machine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'elab-consoles-'));
  try {
    const host = join(dir, 'host');
    mkdirSync(host);
    writeFileSync(join(host, 'console-k8s-w1.log'), RETRIED);
    writeFileSync(join(host, 'ssh-master.log'), 'x');
    const kept = keepConsoles(host, join(dir, 'logs'), 'abc123');
    assert.deepEqual(kept, [join(dir, 'logs', 'vagrant-abc123-console-k8s-w1.log')]);
    assert.equal(readFileSync(kept[0]!, 'utf8'), RETRIED);
    assert.deepEqual(keepConsoles(join(dir, 'gone'), join(dir, 'logs'), 'x'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
