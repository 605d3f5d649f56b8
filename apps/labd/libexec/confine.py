#!/usr/bin/python3
# Confines CMD the way every lab process is: a reduced capability bounding set (KEEP_CAPS), no
# inheritable or ambient capabilities, no_new_privs, and a seccomp filter. Every lab process runs
# under it, the namespace holders too: the kernel lets a process inspect (/proc/PID/ns, lab-on) or
# ptrace another only when its capabilities are a superset, so holders with more than the lab would
# be out of reach, and a confined holder gives nothing away when reached.
#
# A lab keeps CAP_SYS_ADMIN (see KEEP_CAPS), which
# would let it mount a fresh /proc or sysfs read-write and write host-wide knobs (core_pattern,
# uevent_helper), remount the read-only system binds read-write, or unmount the masks lab-root.sh put
# in place. The filter closes that: mount(2) is allowed only for propagation changes and new
# read-only mounts, which is what `ip -n` / `ip netns exec` need (they then mount /sys read-only
# since umount2 fails); umount2, bind mounts, remounts, moves and the new mount API are refused.
# Also refused: kernel modules, kexec, swap, reboot, accounting, quotas, file handles
# (open_by_handle_at walks the host's filesystems) and the shared kernel keyring. Any non-x86_64
# syscall ABI kills the process.
# usage: confine.py [--cd DIR] CMD [ARGS...]
import ctypes, os, struct, sys

# Capabilities the labs need, found by running every netns lab's selftest with fewer, and why:
#   sys_admin   setns into lab namespaces (nsenter --net, lab-on, ip -n) and BPF objects by id
#               (bpftool prog/map show, map dump name X: BPF_*_GET_FD_BY_ID and GET_NEXT_ID demand
#               CAP_SYS_ADMIN); the mount family is policed by the seccomp filter below instead.
#   sys_chroot  setns into another member's mount namespace (lab-on).
#   bpf perfmon load programs, attach tracepoints, read maps.
#   net_admin net_raw  ip, tc, iptables, ping.   net_bind_service  pod-to-pod's servers on :80.
#   chown dac_override fowner  ordinary file work in the workdir (tar, cp -a, editors); the only
#               writable host place is the workdir, so they reach nothing more.
#   setuid setgid  tools that drop root on their own (tcpdump switches to its own user and exits
#               if it cannot); from root they only ever lower privileges.
# Everything else is dropped (sys_module, sys_rawio, sys_ptrace, sys_boot, sys_time, mknod,
# dac_read_search, syslog, sys_resource, setpcap, kill, ipc_lock, audit_*, mac_* …).
KEEP_CAPS = {'chown': 0, 'dac_override': 1, 'fowner': 3, 'setgid': 6, 'setuid': 7, 'net_bind_service': 10, 'net_admin': 12, 'net_raw': 13,
             'sys_chroot': 18, 'sys_admin': 21, 'perfmon': 38, 'bpf': 39}
MOUNT = 165
DENY = {
    'umount2': 166, 'pivot_root': 155, 'acct': 163, 'swapon': 167, 'swapoff': 168,
    'reboot': 169, 'iopl': 172, 'ioperm': 173, 'init_module': 175, 'delete_module': 176,
    'quotactl': 179, 'add_key': 248, 'request_key': 249, 'keyctl': 250, 'kexec_load': 246,
    'open_by_handle_at': 304, 'finit_module': 313, 'kexec_file_load': 320, 'open_tree': 428,
    'move_mount': 429, 'fsopen': 430, 'fsconfig': 431, 'fsmount': 432, 'fspick': 433,
    'mount_setattr': 442, 'quotactl_fd': 443, 'open_tree_attr': 467,
}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC = 1, 2, 4, 8, 0x4000
MS_PRIVATE, MS_SLAVE = 1 << 18, 1 << 19
# Exact values of mount(2)'s flags argument that pass: anything else (MS_BIND, MS_REMOUNT, MS_MOVE,
# a read-write mount) gets EPERM.
MOUNT_FLAGS = sorted({MS_PRIVATE, MS_SLAVE, MS_PRIVATE | MS_REC, MS_SLAVE | MS_REC} |
                     {MS_RDONLY | extra for extra in range(0, 16, 2)})
AUDIT_ARCH_X86_64 = 0xC000003E
RET_ALLOW, RET_EPERM, RET_KILL = 0x7FFF0000, 0x00050000 | 1, 0x80000000
LD_ABS, JEQ, JGE, RET = 0x20, 0x15, 0x35, 0x06
OFF_ARCH, OFF_NR, OFF_ARG3_LOW = 4, 0, 16 + 3 * 8  # struct seccomp_data, little-endian

def program():
    # (code, jump-if-true label or offset, k); labels resolved below.
    p = [(LD_ABS, None, OFF_ARCH), (JEQ, 'nr', AUDIT_ARCH_X86_64), (RET, None, RET_KILL),
         ('nr',), (LD_ABS, None, OFF_NR), (JGE, 'deny', 0x40000000), (JEQ, 'mount', MOUNT)]
    p += [(JEQ, 'deny', nr) for nr in sorted(DENY.values())]
    # Classic BPF only jumps forward: the mount block sits between the list and its verdicts.
    p += [(RET, None, RET_ALLOW), ('mount',), (LD_ABS, None, OFF_ARG3_LOW)]
    p += [(JEQ, 'mount_ok', f) for f in MOUNT_FLAGS]
    p += [('deny',), (RET, None, RET_EPERM), ('mount_ok',), (RET, None, RET_ALLOW)]
    labels, out, i = {}, [], 0
    for x in p:
        if len(x) == 1: labels[x[0]] = i
        else: i += 1
    i = 0
    for x in p:
        if len(x) == 1: continue
        code, target, k = x
        jt = 0 if target is None else labels[target] - i - 1
        assert 0 <= jt < 256
        out.append(struct.pack('HBBI', code, jt, 0, k))
        i += 1
    return out

def main():
    argv = sys.argv[1:]
    if argv[:1] == ['--cd'] and len(argv) >= 2:
        os.chdir(argv[1])
        argv = argv[2:]
    if not argv:
        sys.exit('usage: confine.py [--cd DIR] CMD [ARGS...]')
    if os.uname().machine != 'x86_64':
        sys.exit(f'confine.py: no seccomp filter for {os.uname().machine}; refusing to run unconfined')
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    def prctl(what, *args, ok_errnos=()):
        if libc.prctl(what, *args) != 0 and ctypes.get_errno() not in ok_errnos:
            sys.exit(f'confine.py: prctl({what}): {os.strerror(ctypes.get_errno())}')
    last_cap = int(open('/proc/sys/kernel/cap_last_cap').read())
    for cap in range(last_cap + 1):
        if cap not in KEEP_CAPS.values():
            prctl(24, cap, None, 0, 0, ok_errnos=(22,))  # PR_CAPBSET_DROP (EINVAL: unknown to this kernel)
    prctl(47, 4, None, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
    # Inheritable capabilities would survive exec past the bounding set for root: clear them.
    hdr = ctypes.create_string_buffer(struct.pack('Ii', 0x20080522, 0), 8)
    data = ctypes.create_string_buffer(24)
    if libc.syscall(125, hdr, data) != 0:  # capget
        sys.exit(f'confine.py: capget: {os.strerror(ctypes.get_errno())}')
    eff, prm, _, eff2, prm2, _ = struct.unpack('6I', data.raw)
    if libc.syscall(126, hdr, struct.pack('6I', eff, prm, 0, eff2, prm2, 0)) != 0:  # capset
        sys.exit(f'confine.py: capset: {os.strerror(ctypes.get_errno())}')
    prog = program()
    buf = ctypes.create_string_buffer(b''.join(prog))
    fprog = struct.pack('HxxxxxxP', len(prog), ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog)
    # Descriptors labd (or whoever started `lab`) inherited and did not mark close-on-exec would
    # otherwise reach every lab process, PID 1 included: e.g. a writable pipe to the host shell.
    # Lab processes get stdin, stdout and stderr only; nothing passes more on purpose.
    os.closerange(3, os.sysconf('SC_OPEN_MAX'))
    prctl(38, 1, None, 0, 0)  # PR_SET_NO_NEW_PRIVS
    prctl(22, 2, ctypes.addressof(fbuf), 0, 0)  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        print(f'{argv[0]}: {e.strerror}', file=sys.stderr)
        sys.exit(127 if isinstance(e, FileNotFoundError) else 126)

main()
