import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConntrack, snatted } from './conntrack.ts';

// Lines as this kernel printed them in the model (k8s-s, after the egress step's curls).
const PROC = `ipv4     2 tcp      6 117 TIME_WAIT src=172.16.0.11 dst=172.16.1.11 sport=41718 dport=80 src=172.16.1.11 dst=172.16.0.11 sport=80 dport=41718 [ASSURED] mark=0 zone=0 use=2
ipv4     2 tcp      6 115 TIME_WAIT src=172.16.0.11 dst=203.0.113.10 sport=36426 dport=80 src=203.0.113.10 dst=192.168.10.10 sport=80 dport=36426 [ASSURED] mark=0 zone=0 use=2
`;

test('proc format: original and reply tuples, and which one was masqueraded', () => {
  const [p2p, out] = parseConntrack(PROC);
  assert.deepEqual(p2p!.orig, { src: '172.16.0.11', dst: '172.16.1.11', sport: 41718, dport: 80 });
  assert.equal(snatted(p2p!), false);
  assert.deepEqual(out!.reply, { src: '203.0.113.10', dst: '192.168.10.10', sport: 80, dport: 36426 });
  assert.equal(out!.state, 'TIME_WAIT');
  assert.equal(snatted(out!), true);
});

test('conntrack -L format and a SYN_SENT entry without [ASSURED]; junk lines are skipped', () => {
  const text = `tcp      6 119 SYN_SENT src=172.16.0.11 dst=203.0.113.10 sport=40001 dport=80 [UNREPLIED] src=203.0.113.10 dst=192.168.10.101 sport=80 dport=40001 mark=0 use=1
conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.
udp      17 29 src=172.16.0.11 dst=203.0.113.10 sport=5353 dport=53 [UNREPLIED] src=203.0.113.10 dst=192.168.10.10 sport=53 dport=5353 mark=0 use=1
RemoteAddr: 192.168.10.10:40001`;
  const es = parseConntrack(text);
  assert.deepEqual(
    es.map((e) => [e.proto, e.state, e.reply.dst]),
    [
      ['tcp', 'SYN_SENT', '192.168.10.101'],
      ['udp', undefined, '192.168.10.10'],
    ],
  );
});
