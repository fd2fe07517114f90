"""The fork server: a pre-warmed Python inside the sandbox that forks one Jupyter kernel per submission.

A fresh kernel that imports torch costs about 1.5 s of CPU; forking a process that already
imported torch, numpy, matplotlib, the course package and ipykernel costs a few
milliseconds. Each forked kernel gets resource limits (memory, CPU time, processes, file size), a wall-time limit, an
empty working folder, and an output budget (:class:`OutputBudget`): what it prints or
displays past a few MB is dropped where it is produced, with a visible marker. Between two
submissions every leftover process of the previous one is killed (``kill(-1)`` inside the
sandbox's own pid namespace) and ``/tmp`` is wiped, so no submission sees what another one
left behind.

Protocol on the unix socket (one JSON object per line), per kernel:
    shim -> zygote  {"argv": [...ipykernel arguments...]}
    zygote -> shim  {"pid": 12}
    shim -> zygote  {"signal": 2}            (any number of times: interrupts)
    zygote -> shim  {"exit": -9}             (when the kernel ended; then the socket closes)
If the shim goes away (it was killed), the kernel is killed too.

Runs as ``python zygote.py SOCKET LIMITS_JSON SETTINGS_JSON`` with nothing but the standard
library and the venv: it must not import the autograder (which is not inside the sandbox).
The settings (what to pre-import and watch) come from the course profile
(``autograder/sandbox/bwrap.py``, ``zygote_settings``).
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
import threading
import time

SCRATCH = "/tmp/work"  # the working folder, in the sandbox's writable (size-limited) tmpfs /tmp
RUN_DIR = "/nonexistent"  # the run folder (connection files, sockets): set by serve()
TRUNCATION_MARK = "[output truncated by the grader:"


class OutputBudget:
    """How much output a kernel may still send: ``per_cell`` per request, ``total`` in all.

    Sizes are characters of text (or of the base64 of an image). A request (cell) past its
    budget gets one marker line, then nothing more; the host checks again as the output
    arrives (autograder/engine/execute.py), so a kernel that bypasses this gains nothing.
    """

    def __init__(self, per_cell: int, total: int):
        self.per_cell, self.total, self.left_total = per_cell, total, total
        self.request, self.left_cell, self.marked = None, per_cell, set()
        self.lock = threading.Lock()

    def take(self, request: str | None, size: int) -> tuple[int, str]:
        """(how many of ``size`` characters may go out, the marker to append or "")."""
        with self.lock:
            if request != self.request:
                self.request, self.left_cell = request, self.per_cell
            allowed = max(0, min(size, self.left_cell, self.left_total))
            self.left_cell -= allowed
            self.left_total -= allowed
            if allowed == size or request in self.marked:
                return allowed, ""
            self.marked.add(request)
            return allowed, truncation_marker(self.per_cell, self.total)


def truncation_marker(per_cell: int, total: int) -> str:
    mb = 2**20
    return (
        f"\n{TRUNCATION_MARK} a cell may print at most {per_cell / mb:g} MB and a notebook "
        f"{total / mb:g} MB; the rest of this cell's output was dropped]\n"
    )


def _size(value) -> int:
    """Characters in the strings of a message's content (dicts and lists walked)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    return 8


def _short_error(content: dict, limit: int) -> dict:
    """An error's content with its value and traceback cut to ``limit`` characters in all."""
    if _size(content) <= limit:
        return content
    content = dict(content)
    content["evalue"] = str(content.get("evalue", ""))[: limit // 4]
    traceback = "\n".join(map(str, content.get("traceback") or []))
    content["traceback"] = [traceback[: limit // 2] + "\n" + truncation_marker(limit, limit).strip()]
    return content


def cap_output(app, budget: OutputBudget) -> None:
    """Route every output message of an initialised IPKernelApp through ``budget``.

    Streams are capped as they are written (:func:`capped_outstream`, set before the app
    initialises); here the session's ``send`` caps displays and results, and shortens
    errors (on iopub and in the execute reply).
    """
    from jupyter_client.session import extract_header

    send = app.session.send
    displays = {"display_data", "update_display_data", "execute_result"}

    def capped_send(stream, msg_or_type, content=None, parent=None, *args, **kwargs):
        if isinstance(msg_or_type, dict):
            msg_type, content = msg_or_type["header"]["msg_type"], msg_or_type.get("content")
            request = (msg_or_type.get("parent_header") or {}).get("msg_id")
        else:
            msg_type, request = msg_or_type, extract_header(parent or {}).get("msg_id")
        if msg_type in displays:
            size = _size((content or {}).get("data", {}))
            allowed, marker = budget.take(request, size)
            if allowed < size:
                if not marker:
                    return None
                if parent is None and isinstance(msg_or_type, dict):
                    parent = msg_or_type.get("parent_header")
                msg_or_type, content = "stream", {"name": "stderr", "text": marker}
                kwargs.pop("buffers", None)
        elif msg_type in ("error", "execute_reply") and content:
            content = _short_error(content, budget.per_cell)
            if isinstance(msg_or_type, dict):
                msg_or_type = {**msg_or_type, "content": content}
        return send(stream, msg_or_type, content, parent, *args, **kwargs)

    app.session.send = capped_send


def capped_outstream(budget: OutputBudget) -> type:
    """ipykernel's OutStream (stdout, stderr, and what is written to fds 1 and 2) under ``budget``."""
    from ipykernel.iostream import OutStream

    class CappedOutStream(OutStream):
        def write(self, string: str) -> int | None:
            if not isinstance(string, str):
                return super().write(string)  # its TypeError
            allowed, marker = budget.take(self.parent_header.get("msg_id"), len(string))
            if allowed or marker:
                super().write(string[:allowed] + marker)
            return len(string)

        def _watch_pipe_fd(self) -> None:
            """ipykernel's reader of fds 1 and 2, in 64 KB reads instead of 1000 bytes, and no echo
            (the kernel's original fds are /dev/null): a flood written to the fd is dropped fast."""
            if self._fid is None:
                return
            try:
                while self._should_watch and (data := os.read(self._fid, 2**16)):
                    self.write(data.decode(errors="replace"))
            except Exception:
                self._exc = sys.exc_info()

        def write_uncapped(self, string: str) -> int | None:
            """For the grader's own probe cell (autograder/engine/probe.py)."""
            return super().write(string)

    return CappedOutStream


def warm_up(settings: dict) -> None:
    """Import what the notebooks import (the course profile's ``preimport`` and every module of
    the course package), without starting any thread (fork must stay safe).

    matplotlib is told now that it will draw inline (as ipykernel would tell it), and its font
    list is built once here rather than in every kernel.
    """
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # debugpy (imported for ipykernel's debugger) warns otherwise
    if settings["path"] not in sys.path:  # the course package's folder (-I leaves it out)
        sys.path.append(settings["path"])
    from ipykernel import ipkernel, zmqshell  # noqa: F401 (the kernel's shell, debugger and history)
    from ipykernel.kernelapp import IPKernelApp  # noqa: F401
    from IPython.core import interactiveshell  # noqa: F401

    for name in settings["preimport"]:
        importlib.import_module(name)
    if "matplotlib.font_manager" in sys.modules:
        sys.modules["matplotlib.font_manager"].fontManager.get_default_weight()  # builds the font list
    package = importlib.import_module(settings["package"])
    skipped = tuple(settings.get("not_preimported", ()))
    for module in pkgutil.walk_packages(package.__path__, settings["package"] + "."):
        if module.name.endswith(".__main__") or module.name.startswith(skipped):
            continue
        try:
            importlib.import_module(module.name)
        except Exception:  # a module that needs what the sandbox lacks is simply not pre-imported
            pass
    for name in kernel_imports():
        try:
            importlib.import_module(name)
        except Exception:
            pass


def kernel_imports() -> list[str]:
    """The modules an ipykernel imports as it initialises (its debugger and debugpy, IPython's
    completer, psutil...: ~0.25 s of CPU per kernel), found by initialising one in a throwaway
    child, so that the fork server imports them once and no kernel pays for them."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):  # the kernel's banner must not reach the pipe that says "ready"
                os.dup2(null, fd)
            before = set(sys.modules)
            from ipykernel.kernelapp import IPKernelApp

            folder = os.path.join("/tmp", f"kernel-imports-{os.getpid()}")
            os.makedirs(folder, exist_ok=True)
            connection = ["-f", os.path.join(folder, "kernel.json"), "--transport=ipc", f"--ip={folder}/k"]
            IPKernelApp.instance().initialize([*connection, "--HistoryManager.hist_file=:memory:"])
            os.write(write, "\n".join(sorted(set(sys.modules) - before)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        names = pipe.read().split()
    os.waitpid(pid, 0)
    return names


def _holder(dotted: str):
    """The module (or class of a module, such as ``torch.Tensor``) that ``dotted`` names."""
    module, _, attribute = dotted.rpartition(".")
    try:
        return importlib.import_module(dotted)
    except ImportError:
        return getattr(importlib.import_module(module), attribute)


def snapshot_baseline(settings: dict) -> None:
    """Remember the functions of the watched modules and of the course package, to notice later if one was replaced.

    Kept in ``sys.modules["_autograder_baseline"]``, inherited by every forked kernel; the
    grader's last cell (autograder/engine/probe.py) compares, after the student's code ran.
    """
    import types

    owners = {name: _holder(name) for name in settings["watched"]}
    package = settings["package"]
    owners |= {name: module for name, module in sys.modules.items() if name.split(".")[0] == package}
    watched = {}
    for owner, holder in owners.items():
        for name, value in list(vars(holder).items()):
            if callable(value) and not name.startswith("__"):
                watched[(owner, name)] = value
    baseline = types.ModuleType("_autograder_baseline")
    baseline.owners, baseline.watched = owners, watched
    sys.modules["_autograder_baseline"] = baseline


def wipe_leftovers() -> None:
    """Kill every process of earlier kernels (all but us and the sandbox's init) and empty ``/tmp``."""
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
    run_dir_top = os.path.join("/tmp", os.path.relpath(RUN_DIR, "/tmp").split(os.sep)[0])
    for entry in os.scandir("/tmp"):  # the working folder and whatever else a kernel left in /tmp
        if entry.path == run_dir_top:
            continue  # the run folder (bound from the host, with the sockets) when it lies under /tmp
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass
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
    size = int(limits["file_bytes"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it raises OSError (EFBIG), not a kill
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # what reaches fds 1 and 2 is captured by ipykernel; its echo goes nowhere
        os.dup2(null, fd)
    os.close(null)
    os.chdir(SCRATCH)
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel.kernelapp import IPKernelApp

    budget = OutputBudget(int(limits["output_cell_bytes"]), int(limits["output_total_bytes"]))
    globals()["CappedOutStream"] = capped_outstream(budget)
    app = IPKernelApp.instance(outstream_class=f"{__name__}.CappedOutStream")
    app.initialize(argv)
    cap_output(app, budget)
    app.start()
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


def serve(socket_path: str, limits: dict, settings: dict) -> None:
    global RUN_DIR
    RUN_DIR = os.path.dirname(os.path.abspath(socket_path))
    warm_up(settings)
    snapshot_baseline(settings)
    wipe_leftovers()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(8)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    kernels: dict[int, Kernel] = {}  # fd -> kernel
    print("ready", flush=True)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # nobody reads the pipe after "ready": a kernel that wrote there would block
    os.close(null)
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
    serve(sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]))
