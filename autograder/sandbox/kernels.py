"""The Jupyter side: a kernel manager whose kernels are forked by a sandboxed fork server.

nbclient (and so nbgrader's Execute preprocessor) creates one kernel manager per notebook
with only a kernel name and a config, so the fork server to use is taken from the
environment of the worker process (``AUTOGRADER_ZYGOTE_SOCKET``, ``AUTOGRADER_SANDBOX_UID``),
which :class:`ForkServer` sets when it starts.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from . import bwrap

SHIM = Path(__file__).resolve().parent / "shim.py"
KERNEL_NAME = "autograder-sandbox"


class SandboxKernelManager(AsyncKernelManager):
    """Talks to its kernel over unix sockets in the run folder (the sandbox has no network)."""

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

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        uid = int(os.environ.get("AUTOGRADER_SANDBOX_UID", os.getuid()))
        os.chown(self.connection_file, uid, uid)  # the kernel runs as the sandbox's uid

    def cleanup_connection_file(self) -> None:
        super().cleanup_connection_file()
        for leftover in Path(self.connection_file).parent.glob(Path(self.ip).name + "-*"):
            leftover.unlink(missing_ok=True)  # the kernel's ipc sockets


class ForkServer:
    """One sandbox with a warm fork server, for one worker; a context manager."""

    def __init__(self, run_dir: Path, uid: int, limits: bwrap.Limits | None = None):
        self.run_dir, self.uid, self.limits = Path(run_dir), uid, limits or bwrap.Limits()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ForkServer":
        if not bwrap.available():
            raise RuntimeError("the sandbox needs bubblewrap (apt-get install bubblewrap), setpriv, and root")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        os.chown(self.run_dir, self.uid, self.uid)
        self.run_dir.chmod(0o700)
        socket_path = self.run_dir / "zygote.sock"
        socket_path.unlink(missing_ok=True)
        start = time.monotonic()
        self.process = subprocess.Popen(bwrap.command(self.run_dir, self.uid, self.limits), stdout=subprocess.PIPE)
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError(f"the sandboxed fork server did not start (exit {self.process.wait()})")
        self.startup_seconds = time.monotonic() - start
        os.environ["AUTOGRADER_ZYGOTE_SOCKET"] = str(socket_path)
        os.environ["AUTOGRADER_SANDBOX_UID"] = str(self.uid)
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
