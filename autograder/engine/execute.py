"""nbgrader's Execute preprocessor, run in the sandbox, and robust to kernels that misbehave.

Same execution as ``nbgrader autograde`` (same preprocessor, same per-cell timeout, same
interrupt on timeout), with three differences that keep a batch going:

* the kernel is forked by the sandboxed fork server (:mod:`autograder.sandbox`);
* a cell that runs past the timeout is interrupted as nbgrader does; if the kernel does not
  answer the interrupt (a loop that swallows ``KeyboardInterrupt``) within a grace period it
  is killed, the cell gets an error saying so, and the cells after it are marked as not run,
  instead of the whole submission failing with no grade;
* a kernel that dies (memory, CPU time, a crash, ``os._exit``) likewise: the cell says so and
  the rest are marked as not run. The submission is graded on what ran.
"""

import asyncio
import time

from jupyter_client.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float

from ..sandbox.kernels import KERNEL_NAME, SandboxKernelManager
from . import lock, probe


class KernelStopped(Exception):
    """The kernel ignored an interrupt after a timeout and was killed."""


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class SandboxedExecute(Execute):
    interrupt_grace_seconds = Float(5.0, help="how long a timed-out cell has to honour the interrupt").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(*args, **kwargs)
        self.kernel_name = KERNEL_NAME
        self.shutdown_kernel = "immediate"  # the kernel is thrown away: no graceful shutdown to wait for
        self._stopped: str | None = None  # why the kernel is gone, once it is

    def preprocess(self, nb, resources=None, km=None):
        self._stopped = None
        held = lock.held()
        if held:
            held.release()  # the kernel run is the slow part: let other workers use the gradebook
        start = time.monotonic()
        nb.cells.append(probe.probe_cell(resources.get("nbgrader", {}).get("assignment", "")))
        try:
            return super().preprocess(nb, resources, km)
        finally:
            ours = resources.setdefault("autograder", {})
            ours["execute_seconds"] = time.monotonic() - start
            ours["runtime_integrity"] = probe.read_probe(nb.cells.pop())
            if held:
                held.acquire()

    async def _async_handle_timeout(self, timeout: int, cell: NotebookNode | None = None):
        await ensure_async(self.km.interrupt_kernel())
        deadline = time.monotonic() + self.interrupt_grace_seconds
        while time.monotonic() < deadline:  # a kernel that honours the interrupt replies
            try:
                await ensure_async(self.kc.shell_channel.get_msg(timeout=0.2))
                return {"content": {**self.error_on_timeout, "status": "error"}}
            except Exception:
                await asyncio.sleep(0)
        await ensure_async(self.km.shutdown_kernel(now=True))
        raise KernelStopped(
            f"this cell ran past the {timeout} s time limit and ignored the interrupt, so its kernel was stopped"
        )

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell
        if self._stopped:
            cell.outputs = [_error("NotRun", f"not run: {self._stopped}")]
            return cell
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except KernelStopped as error:
            self._stopped = f"the kernel was stopped in cell {cell_index + 1} (time limit)"
            cell.outputs = list(cell.get("outputs", [])) + [_error("CellTimeoutError", str(error))]
        except DeadKernelError:
            self._stopped = f"the kernel died in cell {cell_index + 1}"
            detail = "the kernel died while running this cell (memory, CPU-time or process limit, or a crash)"
            cell.outputs = list(cell.get("outputs", [])) + [_error("DeadKernelError", detail)]
        return cell

    execute_cell = run_sync(async_execute_cell)  # nbclient binds the sync name to its own coroutine
