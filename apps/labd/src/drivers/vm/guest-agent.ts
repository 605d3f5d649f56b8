import { createHash } from 'node:crypto';
import { shq } from '../vagrant/guest-program.ts';

/**
 * The vm driver's exec agent: one long-lived python3 process per guest (the image installs
 * python3 for BCC) listening on a unix socket in the guest, which the host reaches through a
 * unix-socket forward of the one SSH master (agent-client.ts). An exec then costs a forwarded
 * channel and one fork+exec of bash in the guest, instead of a new SSH session, a login shell,
 * a base64 decode and a `timeout` wrapper (each fork+exec is ~30x the host's under TCG).
 *
 * Per connection, one command. The host writes a JSON line {cmd, cwd, env, timeoutS, stdinLen}
 * and stdinLen bytes of stdin, then at most one byte 'K' (kill it now). The agent first writes
 * the greeting line, then frames: a type byte, a 4-byte big-endian length, the payload; 'o'
 * stdout, 'e' stderr, 'x' the end ({"code": n}), 'f' the agent could not run it (a message).
 *
 * Each command is a process group of its own (setsid), recorded in run-<pgid> until it ends: a
 * 'K', the connection closing before the end (the host gave up), or timeoutS (the host's own limit
 * plus slack, for a host that vanished) kill the group. A restarted agent kills the groups its
 * dead predecessor left running, whose results nobody can receive. Processes a finished command
 * left in the background (nohup … &) keep running, as with every driver.
 */
export const AGENT_PY = String.raw`
import fcntl, json, os, signal, socket, struct, subprocess, sys, threading
D, V = sys.argv[1], sys.argv[2]
SOCK, LOCK, PID = f'{D}/agent-{V}.sock', f'{D}/agent-{V}.lock', f'{D}/agent-{V}.pid'
GREETING = b'elab-agent 1\n'

def start_time(pid):
    try:
        with open(f'/proc/{pid}/stat') as f: return f.read().rsplit(')', 1)[1].split()[19]
    except OSError: return None

def kill_leftovers():
    # Groups of commands whose agent died mid-run: their results can never be delivered.
    for n in os.listdir(D):
        if not n.startswith('run-'): continue
        try:
            with open(f'{D}/{n}') as f: pg, st = f.read().split()
            if start_time(int(pg)) == st: os.killpg(int(pg), signal.SIGKILL)
        except (OSError, ValueError): pass
        try: os.unlink(f'{D}/{n}')
        except OSError: pass
    for n in os.listdir(D):  # agents of other versions (an older labd's)
        if n.startswith('agent-') and n.endswith('.pid') and n != os.path.basename(PID):
            try:
                with open(f'{D}/{n}') as f: pid = int(f.read())
                with open(f'/proc/{pid}/cmdline', 'rb') as f: mine = b'/agent-' in f.read()
                if mine: os.kill(pid, signal.SIGKILL)  # not a pid reused since
            except (OSError, ValueError): pass
            try: os.unlink(f'{D}/{n}')
            except OSError: pass

def serve(c):
    wlock, lock, state = threading.Lock(), threading.Lock(), {'done': False, 'proc': None}
    def send(t, b):
        with wlock: c.sendall(t + struct.pack('>I', len(b)) + b)
    def kill():
        with lock:
            p = state['proc']
            if state['done'] or p is None: return
            try: os.killpg(p.pid, signal.SIGKILL)
            except OSError: pass
    try:
        c.sendall(GREETING)
        f = c.makefile('rb')
        req = json.loads(f.readline(1 << 20) or b'null')
        if not isinstance(req, dict): return
        data = f.read(req.get('stdinLen', 0)) if req.get('stdinLen') else b''
        cwd = req['cwd']
        try: os.makedirs(cwd, exist_ok=True)
        except OSError as e:
            send(b'e', f'cannot enter {cwd}: {e.strerror}\n'.encode()); send(b'x', b'{"code":125}'); return
        p = subprocess.Popen(['/bin/bash', '-c', req['cmd']], cwd=cwd, env=req['env'], start_new_session=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        run = f'{D}/run-{p.pid}'
        with open(run, 'w') as rf: rf.write(f'{p.pid} {start_time(p.pid)}')
        state['proc'] = p
        def feed():
            try: p.stdin.write(data)
            except OSError: pass
            try: p.stdin.close()
            except OSError: pass
        def pump(src, t):
            while True:
                b = os.read(src.fileno(), 65536)
                if not b: return
                try: send(t, b)
                except OSError: kill()
        def control():
            try: b = f.read(1)
            except OSError: b = b''
            kill()  # 'K', or the host closed the connection before the end
        threads = [threading.Thread(target=feed, daemon=True), threading.Thread(target=pump, args=(p.stdout, b'o'), daemon=True),
                   threading.Thread(target=pump, args=(p.stderr, b'e'), daemon=True)]
        for t in threads: t.start()
        threading.Thread(target=control, daemon=True).start()
        timer = threading.Timer(req['timeoutS'], kill) if req.get('timeoutS') else None
        if timer: timer.daemon = True; timer.start()
        rc = p.wait()
        for t in threads[1:]: t.join()
        if timer: timer.cancel()
        with lock: state['done'] = True
        try: os.unlink(run)
        except OSError: pass
        send(b'x', json.dumps({'code': rc if rc >= 0 else 128 - rc}).encode())
    except Exception as e:
        try: send(b'f', f'{type(e).__name__}: {e}'.encode())
        except OSError: pass
    finally:
        try: c.close()
        except OSError: pass

def main():
    os.makedirs(D, mode=0o700, exist_ok=True)
    lk = os.open(LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    try: fcntl.flock(lk, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError: return  # an agent of this version runs (or is starting): the host retries
    kill_leftovers()
    try: os.unlink(SOCK)
    except FileNotFoundError: pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177); srv.bind(SOCK); os.umask(old)
    srv.listen(128)
    # The starter returns once the socket listens; the agent goes on in a session of its own.
    if os.fork(): os._exit(0)
    os.setsid()
    with open(PID, 'w') as pf: pf.write(str(os.getpid()))
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

main()
`;

/** Changes with the agent's code, so a labd with a new agent starts it beside (and kills) an old one. */
export const AGENT_VERSION = createHash('sha256').update(AGENT_PY).digest('hex').slice(0, 8);

export const AGENT_GREETING = 'elab-agent 1\n';

/** The agent's socket in the guest (in the dir the ssh exec path records its pids in too). */
export const agentSocket = (dir: string) => `${dir}/agent-${AGENT_VERSION}.sock`;

/**
 * Bash (run over the plain SSH path) that puts the agent in place and starts it; it returns once
 * the socket listens, or at once when an agent of this version runs already. Exit 127: no python3.
 */
export function agentStartProgram(dir: string, python = 'python3'): string {
  const py = `${dir}/agent-${AGENT_VERSION}.py`;
  const log = `${dir}/agent.log`;
  return [
    `command -v ${shq(python)} >/dev/null || { echo "${python} is not installed in the lab machine" >&2; exit 127; }`,
    `mkdir -p -m 0700 -- ${shq(dir)} || exit 1`,
    `printf '%s' ${Buffer.from(AGENT_PY).toString('base64')} | base64 -d >${shq(py)}.tmp && mv -f -- ${shq(py)}.tmp ${shq(py)} || exit 1`,
    `${shq(python)} ${shq(py)} ${shq(dir)} ${AGENT_VERSION} </dev/null >>${shq(log)} 2>&1 || { rc=$?; tail -n 5 ${shq(log)} >&2; exit $rc; }`,
  ].join('\n');
}
