/**
 * A web-like server in a process of its own, for lib/labd/handoff.test.ts: it forwards every
 * WebSocket upgrade to labd's terminal with the web's own code (terminal-upgrade.ts forwardTerminal),
 * for one learner token, offering labd the socket unless CHILD_HANDOFF=0. No cookies, no Next.
 *   CHILD_LABD_URL, CHILD_TOKEN, CHILD_ORIGIN [, CHILD_HANDOFF=0]
 * Prints `listening <port>` when ready and `conn <client port> <fd>` for each accepted connection.
 */
import { createServer } from 'node:http';
import { forwardTerminal, offerLocal } from '../../lib/labd/terminal-upgrade';

const labdUrl = process.env.CHILD_LABD_URL!;
const token = process.env.CHILD_TOKEN!;
const origin = process.env.CHILD_ORIGIN!;
const offer = process.env.CHILD_HANDOFF !== '0';

const server = createServer((_req, res) => res.writeHead(404).end());
server.on('connection', (s) => {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  process.stdout.write(`conn ${s.remotePort} ${fd}\n`);
});
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  const handoff = offer ? offerLocal(labdUrl, socket, head) : null;
  forwardTerminal(req, socket, head, { labdUrl, token, origin, handoff });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
