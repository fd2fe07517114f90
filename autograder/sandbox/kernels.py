"""The Jupyter side: a kernel manager whose kernels are forked by a sandboxed fork server.

nbclient (and so nbgrader's Execute preprocessor) creates one kernel manager per notebook
with only a kernel name and a config, so the fork server to use is taken from the
environment of the worker process (``AUTOGRADER_ZYGOTE_SOCKET``, ``AUTOGRADER_SANDBOX_UID``),
which :class:`ForkServer` sets when it starts.

The client side defends the grader's memory whatever the kernel does: its sockets refuse any
message part over ``Limits.message_bytes`` (``ZMQ_MAXMSGSIZE``: the peer is disconnected
before the part is read) and queue at most ``RECEIVE_QUEUE`` messages (``ZMQ_RCVHWM``); the
executor then caps what it keeps per cell and per notebook (autograder/engine/execute.py).
"""

import ctypes
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, default

from . import bwrap

SHIM = Path(__file__).resolve().parent / "shim.py"
KERNEL_NAME = "autograder-sandbox"
RECEIVE_QUEUE = 64  # messages waiting in a client socket, at most message_bytes per part each
CLONE_NEWNS, MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV = 0x00020000, 0x4000, 1 << 18, 2, 4


def limits() -> bwrap.Limits:
    """The limits of this worker's sandbox (set by :class:`ForkServer`), or the defaults."""
    return bwrap.Limits.from_json(os.environ.get("AUTOGRADER_LIMITS"))


class SandboxKernelClient(AsyncKernelClient):
    """A kernel client whose sockets refuse oversized messages and queue only a few."""

    @default("context")
    def _context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, limits().message_bytes)  # for every socket made from it
        context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)
        return context


class SandboxKernelManager(AsyncKernelManager):
    """Talks to its kernel over unix sockets in the run folder (the sandbox has no network)."""

    client_class = DottedObjectName(f"{__name__}.SandboxKernelClient")

    def __init__(self, **kwargs):
        kwargs["kernel_name"] = KERNEL_NAME
        super().__init__(**kwargs)
        run_dir = Path(os.environ["AUTOGRADER_ZYGOTE_SOCKET"]).parent
        name = f"kernel-{uuid.uuid4().hex[:12]}"
        self.transport = "ipc"
        self.connection_file = str(run_dir / f"{name}.json")
        self.ip = str(run_dir / name)
        self._kernel_spec = KernelSpec(
            argv=[sys.executable, "-I", str(SHIM), "-f", "{connection_file}"],
            display_name="Python 3 (autograder sandbox)",
            language="python",
            interrupt_mode="signal",
        )

    _prepared: SandboxKernelClient | None = None

    def prepare_client(self) -> None:
        """Make this kernel's client and connect its sockets now, while the kernel starts.

        By the time the notebook runs, the client's iopub subscription has long reached the
        kernel; jupyter_client's ``wait_for_ready`` otherwise misses the status of its first
        ``kernel_info`` request and waits 0.2 s or more per round. nbclient takes this client
        through :meth:`client`.
        """
        self._prepared = self.client()
        for channel in ("iopub_channel", "shell_channel"):  # making a channel connects its socket
            getattr(self._prepared, channel)

    def client(self, **kwargs) -> SandboxKernelClient:
        prepared, self._prepared = self._prepared, None
        return prepared if prepared is not None and not kwargs else super().client(**kwargs)

    def discard_client(self) -> None:
        """Close the prepared client's sockets, if nobody took it."""
        if self._prepared is not None:
            self._prepared.stop_channels()
            self._prepared = None

    def write_connection_file(self, **kwargs) -> None:
        run_dir = Path(self.connection_file).parent
        for leftover in run_dir.iterdir():  # one kernel at a time: what earlier ones left goes first
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.name != "zygote.sock":
                leftover.unlink(missing_ok=True)
        super().write_connection_file(**kwargs)
        uid = int(os.environ.get("AUTOGRADER_SANDBOX_UID", os.getuid()))
        os.chown(self.connection_file, uid, uid)  # the kernel runs as the sandbox's uid

    def cleanup_connection_file(self) -> None:
        super().cleanup_connection_file()
        for leftover in Path(self.connection_file).parent.glob(Path(self.ip).name + "-*"):
            leftover.unlink(missing_ok=True)  # the kernel's ipc sockets


def private_tmpfs(folder: Path, size: int, uid: int) -> None:
    """Mount a tmpfs of ``size`` bytes on ``folder``, seen only by this process and its children.

    The calling process moves to a mount namespace of its own (so call it from a process made
    for this, such as a grading worker): the mount vanishes with it, even after ``kill -9``.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    options = f"size={size},mode=0700,uid={uid},gid={uid}".encode()
    if libc.unshare(CLONE_NEWNS) != 0 or libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), f"cannot make a private mount namespace: {os.strerror(ctypes.get_errno())}")
    if libc.mount(b"tmpfs", str(folder).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
        raise OSError(ctypes.get_errno(), f"cannot mount a tmpfs on {folder}: {os.strerror(ctypes.get_errno())}")


class ForkServer:
    """One sandbox with a warm fork server, for one worker; a context manager.

    Its run folder (connection files and sockets, the only host folder the kernel can write)
    is a tmpfs of ``Limits.run_folder_bytes`` in the worker's own mount namespace.
    """

    def __init__(self, run_dir: Path, uid: int, limits: bwrap.Limits | None = None):
        self.run_dir, self.uid, self.limits = Path(run_dir), uid, limits or bwrap.Limits()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ForkServer":
        if not bwrap.available():
            raise RuntimeError("the sandbox needs bubblewrap (apt-get install bubblewrap), setpriv, and root")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        private_tmpfs(self.run_dir, self.limits.run_folder_bytes, self.uid)
        socket_path = self.run_dir / "zygote.sock"
        socket_path.unlink(missing_ok=True)
        start = time.monotonic()
        self.process = subprocess.Popen(bwrap.command(self.run_dir, self.uid, self.limits), stdout=subprocess.PIPE)
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError(f"the sandboxed fork server did not start (exit {self.process.wait()})")
        self.startup_seconds = time.monotonic() - start
        os.environ["AUTOGRADER_ZYGOTE_SOCKET"] = str(socket_path)
        os.environ["AUTOGRADER_SANDBOX_UID"] = str(self.uid)
        os.environ["AUTOGRADER_LIMITS"] = self.limits.to_json()
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
