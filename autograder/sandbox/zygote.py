"""The fork server: a pre-warmed Python inside the sandbox that forks one Jupyter kernel per submission.

A fresh kernel that imports torch costs about 1.5 s of CPU; forking a process that already
imported torch, numpy, matplotlib, gpt2ln and ipykernel costs a few milliseconds. Each forked
kernel gets resource limits (memory, CPU time, processes), a wall-time limit and an empty
working folder. Between two submissions every leftover process of the previous one is killed
(``kill(-1)`` inside the sandbox's own pid namespace) and the scratch space is wiped, so no
submission sees what another one left behind.

Protocol on the unix socket (one JSON object per line), per kernel:
    shim -> zygote  {"argv": [...ipykernel arguments...]}
    zygote -> shim  {"pid": 12}
    shim -> zygote  {"signal": 2}            (any number of times: interrupts)
    zygote -> shim  {"exit": -9}             (when the kernel ended; then the socket closes)
If the shim goes away (it was killed), the kernel is killed too.

Runs as ``python zygote.py SOCKET LIMITS_JSON`` with nothing but the standard library and
the venv: it must not import the autograder (which is not inside the sandbox).
"""

import importlib
import json
import os
import pkgutil
import resource
import selectors
import shutil
import signal
import socket
import sys
import time

SCRATCH = "/tmp/work"  # the writable tmpfs of the sandbox; wiped between kernels


def warm_up() -> None:
    """Import what the notebooks import, without starting any thread (fork must stay safe).

    matplotlib is told now that it will draw inline (as ipykernel would tell it), and its font
    list is built once here rather than in every kernel.
    """
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    import matplotlib.pyplot  # noqa: F401
    import matplotlib_inline.backend_inline  # noqa: F401
    import numpy  # noqa: F401
    import tiktoken  # noqa: F401
    import torch  # noqa: F401
    from ipykernel import ipkernel, zmqshell  # noqa: F401 (the kernel's shell, debugger and history)
    from ipykernel.kernelapp import IPKernelApp  # noqa: F401
    from IPython.core import interactiveshell  # noqa: F401
    from matplotlib import font_manager

    import gpt2ln

    font_manager.fontManager.get_default_weight()  # noqa: B018 (builds the font list)
    for module in pkgutil.walk_packages(gpt2ln.__path__, "gpt2ln."):
        if module.name.endswith(("__main__", ".fetch")):
            continue
        try:
            importlib.import_module(module.name)
        except Exception:  # a module that needs what the sandbox lacks is simply not pre-imported
            pass


def snapshot_baseline() -> None:
    """Remember the functions of torch, numpy and the course package, to notice later if one was replaced.

    Kept in ``sys.modules["_autograder_baseline"]``, inherited by every forked kernel; the
    grader's last cell (autograder/engine/probe.py) compares, after the student's code ran.
    """
    import types

    import numpy
    import torch
    import torch.nn.functional

    owners = {"torch": torch, "torch.nn.functional": torch.nn.functional, "torch.Tensor": torch.Tensor}
    owners |= {"numpy": numpy, "numpy.testing": numpy.testing}
    owners |= {name: module for name, module in sys.modules.items() if name.startswith("gpt2ln")}
    watched = {}
    for owner, holder in owners.items():
        for name, value in list(vars(holder).items()):
            if callable(value) and not name.startswith("__"):
                watched[(owner, name)] = value
    baseline = types.ModuleType("_autograder_baseline")
    baseline.owners, baseline.watched = owners, watched
    sys.modules["_autograder_baseline"] = baseline


def wipe_leftovers() -> None:
    """Kill every process of earlier kernels (all but us and the sandbox's init) and empty the scratch."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while True:  # reap them
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break
    shutil.rmtree(SCRATCH, ignore_errors=True)
    for folder in (SCRATCH, os.environ["HOME"], os.environ["MPLCONFIGDIR"]):
        os.makedirs(folder, mode=0o700, exist_ok=True)


def run_kernel(argv: list[str], limits: dict) -> None:
    """In the forked child: apply the limits and become an ipykernel (never returns)."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    memory = int(limits["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    nproc = int(limits["processes"])
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    os.chdir(SCRATCH)
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance()
    os._exit(0)


class Kernel:
    """One forked kernel and the shim connection that owns it."""

    def __init__(self, conn: socket.socket, pid: int, wall_seconds: float):
        self.conn, self.pid = conn, pid
        self.deadline = time.monotonic() + wall_seconds
        self.buffer = b""

    def send(self, message: dict) -> None:
        try:
            self.conn.sendall((json.dumps(message) + "\n").encode())
        except OSError:
            pass


def serve(socket_path: str, limits: dict) -> None:
    warm_up()
    snapshot_baseline()
    wipe_leftovers()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(8)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    kernels: dict[int, Kernel] = {}  # fd -> kernel
    print("ready", flush=True)
    while True:
        for key, _ in selector.select(timeout=0.1):
            if key.fileobj is listener:
                conn, _ = listener.accept()
                request = json.loads(conn.makefile().readline())
                for fd in list(kernels):  # one kernel at a time: the previous one (and its leftovers) goes first
                    _end(kernels.pop(fd), selector)
                wipe_leftovers()
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    conn.close()
                    run_kernel(request["argv"], limits)
                kernel = Kernel(conn, pid, float(limits["wall_seconds"]))
                kernel.send({"pid": pid})
                kernels[conn.fileno()] = kernel
                selector.register(conn, selectors.EVENT_READ)
            else:
                kernel = kernels[key.fd]
                data = kernel.conn.recv(4096)
                if not data:  # the shim is gone: so is its kernel
                    _kill(kernel.pid)
                    continue
                kernel.buffer += data
                while b"\n" in kernel.buffer:
                    line, kernel.buffer = kernel.buffer.split(b"\n", 1)
                    _kill(kernel.pid, json.loads(line)["signal"])
        for fd, kernel in list(kernels.items()):
            if time.monotonic() > kernel.deadline:
                _kill(kernel.pid)
            try:
                pid, status = os.waitpid(kernel.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = kernel.pid, -signal.SIGKILL
            if pid:
                kernel.send({"exit": os.waitstatus_to_exitcode(status) if status >= 0 else status})
                selector.unregister(kernel.conn)
                kernel.conn.close()
                del kernels[fd]
                if not kernels:
                    wipe_leftovers()


def _end(kernel: Kernel, selector: selectors.BaseSelector) -> None:
    """Kill a kernel, reap it and tell its shim."""
    _kill(kernel.pid)
    try:
        _, status = os.waitpid(kernel.pid, 0)
        code = os.waitstatus_to_exitcode(status)
    except ChildProcessError:
        code = -signal.SIGKILL
    kernel.send({"exit": code})
    selector.unregister(kernel.conn)
    kernel.conn.close()


def _kill(pid: int, signum: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pid, signum) if signum == signal.SIGKILL else os.kill(pid, signum)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    serve(sys.argv[1], json.loads(sys.argv[2]))
