#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""BCC's hello world on execve, with a preflight that says why it cannot run on this machine.

BCC compiles the C text below with its own clang at run time, against the headers of the running
kernel, and attaches it with a kprobe. So it needs three things bpf/hello (libbpf CO-RE) does not:
the bcc Python module, kernel headers for `uname -r`, and kprobes. Where one is missing this script
says which, why, and what to do, then exits 0: the lesson moves on to bpf/hello.
"""
import gzip
import os
import subprocess
import sys
import textwrap

PROGRAM = r"""
int hello(void *ctx)
{
    bpf_trace_printk("Hello World!\n");
    return 0;
}
"""

RELEASE = os.uname().release
DEBIAN_PYTHON = "/usr/bin/python3"
DEBIAN_BCC = "/usr/lib/python3/dist-packages/bcc/__init__.py"
VM = "lab up hello-ebpf --driver vagrant"


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def kernel_config(option):
    """'y', 'm', 'unset' or None when this kernel's config cannot be read."""
    text = read("/boot/config-" + RELEASE)
    if text is None and os.path.exists("/proc/config.gz"):
        try:
            with gzip.open("/proc/config.gz", "rt") as f:
                text = f.read()
        except OSError:
            text = None
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith(option + "="):
            return line.split("=", 1)[1]
    return "unset"


def import_bcc():
    """The bcc module, or a problem. Debian installs it for /usr/bin/python3 only."""
    try:
        import bcc
        return bcc, None
    except ImportError as e:
        err = e
    here = os.path.realpath(sys.executable)
    if os.path.exists(DEBIAN_BCC) and here != os.path.realpath(DEBIAN_PYTHON) \
            and not os.environ.get("BCC_HELLO_REEXEC"):
        # python3-bpfcc is installed, but for Debian's interpreter, not this one (pyenv, a venv).
        print(f"note: {here} has no bcc module; Debian's python3-bpfcc is for {DEBIAN_PYTHON}, re-running with it",
              flush=True)
        os.environ["BCC_HELLO_REEXEC"] = "1"
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    if isinstance(err, ModuleNotFoundError) and err.name == "bcc":
        return None, ("the bcc Python module is missing (BCC's Python front end)",
                      "install it (Debian, Ubuntu):", "apt-get install python3-bpfcc")
    # The module is there but its shared library is not: a half-installed or mismatched BCC.
    return None, (f"the bcc Python module is installed but does not import: {err}",
                  "reinstall BCC:", "apt-get install --reinstall python3-bpfcc libbpfcc")


def apt_has(package):
    """True/False when apt can answer (locally, no network), None without apt."""
    try:
        out = subprocess.run(["apt-cache", "policy", package], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return "Candidate:" in out.stdout and "Candidate: (none)" not in out.stdout


def kheaders_module(moddir):
    """CONFIG_IKHEADERS=m: BCC runs `modprobe kheaders` itself when it finds no headers."""
    if not os.path.isdir(moddir):
        return False
    try:
        return subprocess.run(["modprobe", "-n", "kheaders"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def headers_problem():
    """BCC looks for $BCC_KERNEL_SOURCE, /lib/modules/R/build, then CONFIG_IKHEADERS' archive."""
    env = os.environ.get("BCC_KERNEL_SOURCE")
    moddir = "/lib/modules/" + RELEASE
    if (env and os.path.isdir(env)) or os.path.isdir(moddir + "/build/include") \
            or os.path.exists("/sys/kernel/kheaders.tar.xz") or kheaders_module(moddir):
        return None
    why = (f"no kernel headers for {RELEASE}: BCC compiles the C text at run time against "
           f"{moddir}/build, which does not exist, and this kernel has no built-in headers "
           f"(/sys/kernel/kheaders.tar.xz, CONFIG_IKHEADERS)")
    package = "linux-headers-" + RELEASE
    has = apt_has(package)
    if has:
        return why, "install them:", f"apt-get install {package}"
    if has is False:
        return why, (f"no package {package} exists: this is a custom kernel, whose headers only its "
                     "own build tree has. Use a VM with a distribution kernel (run on the host):"), VM
    return why, f"install your distribution's headers package for {RELEASE}, or use a VM (run on the host):", VM


def kprobes_problem():
    """BCC attaches with the kprobe PMU (perf_event_open) or, on old kernels, tracefs kprobe_events."""
    if os.path.isdir("/sys/bus/event_source/devices/kprobe"):
        return None
    if any(os.path.exists(d + "/kprobe_events") for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")):
        return None
    config = kernel_config("CONFIG_KPROBES")
    known = {"unset": "CONFIG_KPROBES is not set in this kernel's config",
             None: "the kernel was probably built without CONFIG_KPROBES"}.get(config, f"CONFIG_KPROBES={config}")
    return (f"no kprobes: /sys/bus/event_source/devices/kprobe and kprobe_events are both absent ({known}), "
            "so attach_kprobe has nothing to attach with",
            "bpf/hello's loader falls back to the tracepoint syscalls:sys_enter_execve (its first output "
            "line says so); BCC's attach_kprobe cannot. For kprobes use a VM (run on the host):", VM)


def preflight():
    problems = []
    if os.geteuid() != 0:
        problems.append(("not root: loading eBPF programs needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN)",
                         "run it as root:", "sudo python3 " + sys.argv[0]))
    bcc, problem = import_bcc()
    problems += [p for p in (problem, headers_problem(), kprobes_problem()) if p]
    if not any(os.path.exists(d + "/trace_pipe") for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")):
        problems.append(("tracefs is not mounted: trace_print reads bpf_trace_printk's lines from trace_pipe",
                         "mount it:", "mount -t tracefs tracefs /sys/kernel/tracing"))
    return bcc, problems


def gave_up(what, advice):
    print(what)
    print(f"  → {advice}")
    print("Moving on: bpf/hello does the same with libbpf and CO-RE.")
    return 0


def main():
    bcc, problems = preflight()
    if problems:
        print(f"BCC hello world cannot run on this machine (kernel {RELEASE}):")
        for why, advice, command in problems:
            print(textwrap.fill(why, 96, initial_indent="  ✘ ", subsequent_indent="    "))
            print(textwrap.fill(advice, 96, initial_indent="    → ", subsequent_indent="      "))
            print("      " + command)
        print("Moving on: bpf/hello does the same with libbpf and CO-RE, which needs neither headers nor kprobes.")
        return 0
    # BCC raises plain Exceptions and has already printed its own messages to stderr.
    try:
        b = bcc.BPF(text=PROGRAM)
    except Exception as e:
        return gave_up(f"BCC could not compile the program: {e}",
                       "clang's errors are above; a BCC much older than the kernel often fails on its headers")
    event = b.get_syscall_fnname("execve").decode()
    try:
        b.attach_kprobe(event=event, fn_name="hello")
    except Exception as e:
        return gave_up(f"BCC could not attach the kprobe: {e}",
                       "BCC says 'not traceable' for any attach failure; the line above it has the real error")
    print(f"attached: kprobe {event}; printing trace_pipe, Ctrl-C to stop", flush=True)
    try:
        b.trace_print()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
