#!/usr/bin/python3
# Runs inside a lab member's fresh PID, mount and cgroup namespaces (started by holder.sh) and turns
# its mount namespace into the lab's own root: read-only system directories, a fresh /proc of the
# lab's PID namespace, this netns's /sys with bpffs/tracefs/cgroup2, private /tmp, /dev and /run, and
# the lab workdir as the only writable host directory. The host's root is then detached, so labd's
# state dir, other labs' workdirs, /root and /work are not reachable by any path.
# usage: lab-root.py READY_FILE   (writes the holder's host pid into READY_FILE when done)
#
# Python and the system calls themselves, not a shell script of `mount`/`mkdir`/`ln` commands: that
# was ~80 processes per member, most of a `lab up` (~250 ms of ~600). Each step below is one
# `mount`/`mkdir`/... of that script, in the same order; any failure stops the holder with a message
# naming the step (labd shows it as the reason the lab did not start).
import ctypes, os, runpy, stat, sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
MNT_DETACH = 2
SYS_PIVOT_ROOT = 155  # x86_64; confine.py (and so every netns lab) is x86_64-only as well
libc = ctypes.CDLL(None, use_errno=True)


def fail(what, err):
    sys.stderr.write(f'lab-root: {what}: {os.strerror(err)}\n')
    sys.exit(1)


def mount(src, target, fstype=None, flags=0, data=None):
    enc = lambda s: s.encode() if s is not None else None
    if libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        fail(f'mount {fstype or "(bind)"} {src} on {target}', ctypes.get_errno())


def try_mount(src, target, fstype, flags=0, data=None):
    """A filesystem this kernel may lack (tracefs, debugfs, cgroup2): the lab starts without it."""
    libc.mount(src.encode(), target.encode(), fstype.encode(), ctypes.c_ulong(flags), None if data is None else data.encode())


def umount_lazy(target):
    if libc.umount2(target.encode(), MNT_DETACH) != 0: fail(f'umount -l {target}', ctypes.get_errno())


def bind(src, target, flags=0):
    mount(src, target, None, MS_BIND)
    # Per-mount flags (ro, nosuid, ...) take a remount of the bind: a bind ignores them.
    if flags: mount('none', target, None, MS_REMOUNT | MS_BIND | flags)


def ro_bind(src, target):
    os.makedirs(target, exist_ok=True)
    bind(src, target, MS_RDONLY | MS_NOSUID | MS_NODEV)


def touch(path):
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


def main():
    ready = sys.argv[1]
    env = os.environ
    root, workdir, libexec = env['LAB_ROOT'], env['LAB_WORKDIR'], env['LAB_LIBEXEC']
    # The host's /proc is still mounted here, so /proc/self names this process by its host pid: the
    # pid labd and enter.sh use to find these namespaces (os.getpid() is the lab's own, 1).
    with open('/proc/self/stat') as f: hostpid = f.read().split()[0]
    ready_fd = os.open(ready, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    mount('lab-root', root, 'tmpfs', 0, 'mode=0755,size=8m')
    os.chdir(root)
    # System directories: the tools labs use (clang, bpftool, bpftrace, iproute2, iptables, python3).
    ro_bind('/usr', 'usr')
    for d in ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']:
        if os.path.islink(f'/{d}'): os.symlink(os.readlink(f'/{d}'), d)
        elif os.path.isdir(f'/{d}'): ro_bind(f'/{d}', d)
    # /etc read-only, without password hashes and private keys: an overlay whose top layer holds
    # whiteouts for them. (Binding /dev/null over each file is not enough: the host replacing
    # /etc/shadow, as useradd does, silently detaches such a mount.) The overlay keeps its own copy
    # of the layer's mount, so the mask tmpfs can be unmounted again.
    os.mkdir('.mask')
    mount('lab-etc-mask', '.mask', 'tmpfs', 0, 'size=64k')
    os.mkdir('.mask/ssh'); os.mkdir('.mask/ssl')
    for f in ['shadow', 'shadow-', 'gshadow', 'gshadow-', 'ssh/ssh_host_rsa_key', 'ssh/ssh_host_ecdsa_key',
              'ssh/ssh_host_ed25519_key', 'ssh/ssh_host_dsa_key', 'ssl/private']:
        os.mknod(f'.mask/{f}', stat.S_IFCHR | 0o644, os.makedev(0, 0))  # a whiteout
    os.mkdir('etc')
    mount('lab-etc', 'etc', 'overlay', MS_RDONLY, f'lowerdir={root}/.mask:/etc')
    umount_lazy('.mask')
    os.rmdir('.mask')

    os.makedirs('tmp', exist_ok=True)
    mount('lab-tmp', 'tmp', 'tmpfs', MS_NOSUID | MS_NODEV, f'mode=1777,size={env.get("LAB_TMP_MIB") or 256}m')
    os.makedirs('var', exist_ok=True); os.symlink('/tmp', 'var/tmp')
    os.makedirs('root', exist_ok=True)  # HOME is the workdir; /root exists (empty) for tools that assume it

    # /dev: only harmless devices, and a pty instance of the lab's own (not the host's /dev/pts).
    os.mkdir('dev')
    mount('lab-dev', 'dev', 'tmpfs', MS_NOSUID, 'mode=0755,size=1m')
    for n in ['null', 'zero', 'full', 'random', 'urandom', 'tty']:
        touch(f'dev/{n}'); bind(f'/dev/{n}', f'dev/{n}')
    os.mkdir('dev/pts'); os.mkdir('dev/shm')
    mount('devpts', 'dev/pts', 'devpts', 0, 'newinstance,ptmxmode=0666,mode=0620')
    mount('lab-shm', 'dev/shm', 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=1777,size=64m')
    for target, name in [('pts/ptmx', 'ptmx'), ('/proc/self/fd', 'fd'), ('/proc/self/fd/0', 'stdin'),
                         ('/proc/self/fd/1', 'stdout'), ('/proc/self/fd/2', 'stderr')]:
        os.symlink(target, f'dev/{name}')

    # /proc of the lab's PID namespace, read-only: with CAP_SYS_ADMIN its writable files reach the
    # whole host (sysctls such as core_pattern and modprobe run programs as host root; sysrq-trigger,
    # scsi, irq affinity, PCI config). Only /proc/sys/net, this netns's own sysctls, stays writable.
    os.mkdir('proc')
    mount('proc', 'proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount('none', 'proc', None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    bind('proc/sys/net', 'proc/sys/net', MS_NOSUID | MS_NODEV | MS_NOEXEC)  # rw: no MS_RDONLY
    if os.path.exists('proc/kcore'): bind('/dev/null', 'proc/kcore')

    # sysfs mounted from inside the netns shows the lab's interfaces; read-only, because writable
    # sysfs knobs (uevent_helper, module parameters) are host-wide. bpffs, tracefs and cgroup2 are
    # the lab's.
    os.mkdir('sys')
    mount('sysfs', 'sys', 'sysfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount('bpf', 'sys/fs/bpf', 'bpf')
    try_mount('tracefs', 'sys/kernel/tracing', 'tracefs')
    try_mount('debugfs', 'sys/kernel/debug', 'debugfs', MS_RDONLY)
    # Inside the cgroup namespace the lab cgroup is the root, so attaching to /sys/fs/cgroup stays in the lab.
    try_mount('cgroup2', 'sys/fs/cgroup', 'cgroup2')

    # Only this lab's network namespaces (lab-on, `ip -n`, nsenter --net in lab scripts).
    os.mkdir('run')
    mount('lab-run', 'run', 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=0755,size=1m')
    os.mkdir('run/netns')
    for n in env.get('LAB_NETNS', '').split():
        touch(f'run/netns/{n}'); bind(f'/run/netns/{n}', f'run/netns/{n}')

    # The workdir at the path labd, checks and the editor use; the driver's helpers read-only.
    os.makedirs(f'.{workdir}', exist_ok=True)
    bind(workdir, f'.{workdir}')
    ro_bind(libexec, f'.{libexec}')

    os.mkdir('.old')
    if libc.syscall(SYS_PIVOT_ROOT, b'.', b'.old') != 0: fail('pivot_root', ctypes.get_errno())
    umount_lazy('/.old')
    os.rmdir('/.old')
    os.chdir('/')
    os.write(ready_fd, f'{hostpid}\n'.encode())
    os.close(ready_fd)
    # Setup is done: nothing more to tell labd. The lab's PID 1 keeps no channel to the host open
    # (writing to /proc/1/fd/1 from the lab must reach nothing that grows).
    null = os.open('/dev/null', os.O_RDWR)
    for fd in (0, 1, 2): os.dup2(null, fd)
    os.close(null)
    # The lab's processes that lose their parent end up here (the first member is PID 1): reap them.
    # Confined like every lab process (confine.py says why), by confine.py run in this process: it
    # execs the loop itself, and a second Python start is saved.
    sys.argv = [f'{libexec}/confine.py', '/bin/bash', '-c', "trap 'exit 0' TERM; while :; do sleep infinity & wait $! || true; done"]
    runpy.run_path(sys.argv[0], run_name='__main__')
    sys.exit('lab-root: confine.py returned instead of running the wait loop')


try:
    main()
except OSError as e:
    sys.stderr.write(f'lab-root: {e}\n')
    sys.exit(1)
except KeyError as e:
    sys.stderr.write(f'lab-root: the environment lacks {e} (holder.sh sets it)\n')
    sys.exit(1)
