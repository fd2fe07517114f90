"""``check NOTEBOOK``: a student's self-check, with an exit code that means something.

``nbgrader validate`` exits 0 even when tests fail, so a script or a CI job cannot use it.
This runs the notebook top to bottom in a fresh kernel (the student's own code, on their own
machine: no sandbox), then lists every visible test cell as passed or failed with its
message, and exits 1 when any failed (2 when the notebook could not be run at all).
"""

from pathlib import Path

import nbformat
from nbclient import NotebookClient


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _error(cell) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            name, value = output.get("ename", ""), output.get("evalue", "")
            return value if name == "AssertionError" and value else f"{name}: {value}"
    return None


def check_notebook(path: Path, timeout: int = 120) -> int:
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:
        print(f"{path}: cannot be read as a notebook ({error})")
        return 2
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3")
    client.resources = {"metadata": {"path": str(Path(path).resolve().parent)}}
    try:
        client.execute()
    except Exception as error:
        print(f"{path}: the notebook stopped running ({type(error).__name__}: {error})")
        return 2
    tests = [cell for cell in nb.cells if _is_test(cell)]
    failed = 0
    for cell in tests:
        meta = cell.metadata["nbgrader"]
        error = _error(cell)
        failed += error is not None
        status = "FAILED" if error is not None else "passed"
        print(f"{status:6}  {meta.get('grade_id')} ({meta.get('points', 0)} points)" + (f": {error}" if error else ""))
    print(f"{len(tests) - failed} of {len(tests)} visible tests passed" + ("" if not failed else "; fix the above"))
    return 1 if failed else 0
