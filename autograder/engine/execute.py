"""nbgrader's Execute preprocessor, run in the sandbox, and robust to kernels that misbehave.

Same execution as ``nbgrader autograde`` (same preprocessor, same per-cell timeout, same
interrupt on timeout), with three differences that keep a batch going:

* the kernel is forked by the sandboxed fork server (:mod:`autograder.sandbox`), and it is
  pre-started: as soon as one submission's notebook has run, the worker asks for the next
  kernel, which starts (fork, ipykernel's initialisation) while nbgrader saves the grades and
  reads the next submission, so a submission waits for no kernel start (:class:`SpareKernel`);
* a cell that runs past the timeout is interrupted as nbgrader does; if the kernel does not
  answer the interrupt (a loop that swallows ``KeyboardInterrupt``) within a grace period it
  is killed, the cell gets an error saying so, and the cells after it are marked as not run,
  instead of the whole submission failing with no grade;
* a kernel that dies (memory, CPU time, a crash, ``os._exit``) likewise: the cell says so and
  the rest are marked as not run. The submission is graded on what ran;
* output is kept up to ``Limits.output_cell_bytes`` per cell and ``output_total_bytes`` per
  notebook as it arrives, the rest dropped with a marker (the kernel caps it already, see
  :class:`autograder.sandbox.zygote.OutputBudget`; this is the grader's own defence against a
  kernel that bypasses that), and the ``output_truncated`` flag is raised for the cell.
"""

import asyncio
import atexit
import time

from jupyter_client.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float

from ..profile import current
from ..sandbox import kernels
from ..sandbox.kernels import KERNEL_NAME, SandboxKernelManager
from ..sandbox.zygote import TRUNCATION_MARK, truncation_marker
from . import lock, probe


class SpareKernel:
    """The worker's next kernel, started before its submission arrives (one per worker process).

    Only one kernel of a fork server exists at a time (the fork server ends the previous one
    when asked for a new one), so the spare is asked for once the last kernel is shut down.
    A spare that died while it waited is replaced by a fresh one.
    """

    manager: SandboxKernelManager | None = None

    @classmethod
    def take(cls, extra_arguments: list[str]) -> SandboxKernelManager:
        """The started spare (or a kernel started now, when there is none or it died)."""
        manager, cls.manager = cls.manager, None
        if manager is not None and run_sync(manager.is_alive)():
            return manager
        if manager is not None:
            cls.shut_down(manager)
        return cls.start(extra_arguments)

    @classmethod
    def prepare(cls, extra_arguments: list[str]) -> None:
        """Ask the fork server for the next kernel now; it initialises while the worker does other work."""
        try:
            cls.manager = cls.start(extra_arguments)
        except Exception:  # no spare: the next submission starts its own kernel
            cls.manager = None

    @staticmethod
    def start(extra_arguments: list[str]) -> SandboxKernelManager:
        manager = SandboxKernelManager()
        run_sync(manager.start_kernel)(extra_arguments=list(extra_arguments))
        manager.prepare_client()
        return manager

    @staticmethod
    def shut_down(manager: SandboxKernelManager) -> None:
        manager.discard_client()
        try:
            run_sync(manager.shutdown_kernel)(now=True)
        except Exception:  # already gone
            pass

    @classmethod
    def discard(cls) -> None:
        if cls.manager is not None:
            cls.shut_down(cls.manager)
            cls.manager = None


atexit.register(SpareKernel.discard)


class KernelStopped(Exception):
    """The kernel ignored an interrupt after a timeout and was killed."""


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


SLACK = 4096  # what the kernel's own marker adds past its cap
CUT_IN_KERNEL = "the kernel dropped the rest"
CUT_BY_GRADER = "the grader dropped the rest"
LOST = "messages that bypassed the kernel's cap were refused and the cell's output lost (it counts as an error)"


def _output_size(output: NotebookNode) -> int:
    """Characters an output holds: its text, its data (base64 for images), its error."""
    if output.get("output_type") == "stream":
        return len(output.get("text", ""))
    if output.get("output_type") == "error":
        return len(output.get("evalue", "")) + sum(len(line) for line in output.get("traceback", []))
    return sum(len(value) if isinstance(value, str) else len(str(value)) for value in output.get("data", {}).values())


class SandboxedExecute(Execute):
    interrupt_grace_seconds = Float(5.0, help="how long a timed-out cell has to honour the interrupt").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(*args, **kwargs)
        self.kernel_name = KERNEL_NAME
        self.shutdown_kernel = "immediate"  # the kernel is thrown away: no graceful shutdown to wait for
        self._stopped: str | None = None  # why the kernel is gone, once it is
        self._kept: dict[int, int] = {}  # cell index -> characters of output kept
        self._truncated: dict[int, str] = {}  # cell index -> where the cap was hit

    def preprocess(self, nb, resources=None, km=None):
        self._stopped, self._kept, self._truncated = None, {}, {}
        held = lock.held()
        if held:
            held.release()  # the kernel run is the slow part: let other workers use the gradebook
        start = time.monotonic()
        nb.cells.append(probe.probe_cell(resources.get("nbgrader", {}).get("assignment", "")))
        arguments = [*self.extra_arguments, f"--HistoryManager.hist_file={self.ipython_hist_file}"]
        km = km or SpareKernel.take(arguments)
        try:
            return super().preprocess(nb, resources, km)
        finally:
            ours = resources.setdefault("autograder", {})
            ours["execute_seconds"] = time.monotonic() - start
            ours["runtime_integrity"] = self._truncation_flags(nb) + probe.read_probe(nb.cells.pop())
            if self.kc is not None:
                self.kc.stop_channels()
            atexit.unregister(self._cleanup_kernel)  # nbclient's, for the kernels it owns
            SpareKernel.shut_down(km)
            SpareKernel.prepare(arguments)
            if held:
                held.acquire()

    async def async_start_new_kernel_client(self):
        """nbclient's, then the notebook's own environment (the course profile's ``language``:
        ``GPT2LN_LANG=zh`` for a Chinese notebook), set by a silent request before the first cell."""
        client = await super().async_start_new_kernel_client()
        language = current().language
        env = language.kernel_env(self.nb.get("metadata", {})) if language else {}
        if env:
            request = client.execute(f"__import__('os').environ.update({env!r})", silent=True, store_history=False)
            await self.async_wait_for_reply(request)
        return client

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

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
        except CellTimeoutError as error:
            if "IOPub" not in str(error):
                raise
            # the kernel answered, but its output never finished arriving: messages were refused
            # (over the size limit) or dropped (queue full). What is missing may be an error,
            # so a test cell must not pass on it.
            self._truncated[cell_index] = LOST
            detail = "this cell's output overflowed the grader's limits and was lost"
            cell.outputs = list(cell.get("outputs", [])) + [_error("OutputLost", detail)]
        except DeadKernelError:
            self._stopped = f"the kernel died in cell {cell_index + 1}"
            detail = "the kernel died while running this cell (memory, CPU-time or process limit, or a crash)"
            cell.outputs = list(cell.get("outputs", [])) + [_error("DeadKernelError", detail)]
        return cell

    execute_cell = run_sync(async_execute_cell)  # nbclient binds the sync name to its own coroutine

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output handling, keeping only what fits the per-cell and per-notebook caps.

        A stream is cut at the cap, any other output past it dropped, with one marker per cell.
        Errors are always kept (shortened): nbgrader grades a test cell by whether it has one.
        The grader's probe (the last cell) has a cell's budget of its own.
        """
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or not outs or outs[-1] is not out:
            return out
        limits = kernels.limits()
        if out.get("output_type") == "error":
            if _output_size(out) > limits.output_cell_bytes:
                out.evalue = out.get("evalue", "")[: limits.output_cell_bytes // 4]
                out.traceback = [line[: limits.output_cell_bytes // 4] for line in out.get("traceback", [])[:3]]
            return out
        if out.get("output_type") == "stream" and TRUNCATION_MARK in out.get("text", ""):
            self._truncated.setdefault(cell_index, CUT_IN_KERNEL)
        kept = self._kept.get(cell_index, 0)
        room = limits.output_cell_bytes + SLACK - kept
        if cell_index != len(self.nb.cells) - 1:
            room = min(room, limits.output_total_bytes + SLACK - sum(self._kept.values()))
        size = _output_size(out)
        if size <= room:
            self._kept[cell_index] = kept + size
            return out
        outs.pop()
        if out.get("output_type") == "stream" and room > 0:
            out.text = out.text[:room]
            outs.append(out)
        self._kept[cell_index] = kept + max(room, 0)
        if self._truncated.get(cell_index) not in (CUT_BY_GRADER, LOST):
            marker = truncation_marker(limits.output_cell_bytes, limits.output_total_bytes)
            outs.append(NotebookNode(output_type="stream", name="stderr", text=marker))
            self._truncated[cell_index] = CUT_BY_GRADER
        return None

    def _truncation_flags(self, nb) -> list[dict]:
        flags = []
        for index, where in sorted(self._truncated.items()):
            if index >= len(nb.cells) - 1:
                continue  # the probe's own cell
            cell = nb.cells[index]
            name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"code cell {index + 1}"
            limits = kernels.limits()
            detail = (
                f"the output passed the limit ({limits.output_cell_bytes >> 20} MB per cell, "
                f"{limits.output_total_bytes >> 20} MB per notebook): {where}"
            )
            flags.append({"kind": "output_truncated", "cell": name, "detail": detail})
        return flags
