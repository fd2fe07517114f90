"""``check NOTEBOOK``: a student's self-check, with an exit code that means something.

``nbgrader validate`` exits 0 even when tests fail, so a script or a CI job cannot use it.
This runs the notebook top to bottom in a fresh kernel (the student's own code, on their own
machine: no sandbox), then lists every visible test cell as passed or failed, by the name of
its check, with the feedback wrapped under it, and exits 1 when any failed (2 when the
notebook could not be run at all).

A hidden-test cell of a student notebook is a placeholder (its tests were taken out at
release): it is listed as "runs at grading", never as passed, and not counted. The closing
line is the one ``checks.summary()`` prints in the notebook, with the same numbers.
"""

import re
import textwrap
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from gpt2ln.grading.report import check_titles, error_text, tally, wrap

COMMENT = re.compile(r"#.*$", re.MULTILINE)


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_placeholder(cell) -> bool:
    """A test cell with no code left (only comments): its hidden tests run at grading."""
    return not COMMENT.sub("", cell.source).strip()


def _error(cell) -> str | None:
    """The cell's error in words, with the student's own line where a check says where their code raised."""
    errors = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            where = [line for line in output.get("traceback", []) if line.startswith("Your code raised it at")]
            errors.append("\n".join([error_text(output), *where]))
    return "\n".join(errors) if errors else None


def _indented(text: str) -> str:
    return textwrap.indent("\n".join(wrap(text)), " " * 8)


def run(path: Path, timeout: int = 120) -> nbformat.NotebookNode | str:
    """The notebook at ``path`` executed top to bottom in a fresh kernel, or why it could not be."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:
        return f"{path}: cannot be read as a notebook ({error})"
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3")
    client.resources = {"metadata": {"path": str(Path(path).resolve().parent)}}
    try:
        client.execute()
    except Exception as error:
        return f"{path}: the notebook stopped running ({type(error).__name__}: {error})"
    return nb


def count(n: float, noun: str) -> str:
    """``1 point``, ``2 points``, ``1.5 points``."""
    return f"{n:g} {noun}{'' if n == 1 else 's'}"


def report(nb: nbformat.NotebookNode) -> int:
    """Print every test cell of an executed notebook, passed, failed or hidden; 1 when any visible one failed."""
    tests = [cell for cell in nb.cells if _is_test(cell)]
    visible = [cell for cell in tests if not is_placeholder(cell)]
    hidden = [cell for cell in tests if is_placeholder(cell)]
    failed = 0
    for cell in tests:
        meta = cell.metadata["nbgrader"]
        points = meta.get("points", 0)
        name = ", ".join(check_titles(cell.source)) or meta.get("grade_id")
        if is_placeholder(cell):
            print(f"hidden  {meta.get('grade_id')} ({count(points, 'point')}): runs at grading, not here")
            continue
        error = _error(cell)
        failed += error is not None
        scored = f"{0 if error else points:g} / {points:g}"
        print(f"{'FAILED' if error else 'PASSED':<8}{name} ({scored})")
        if error:
            print(_indented(error.removeprefix(f"{name}: ")))
    print(tally(len(visible) - failed, len(visible)) + (" Fix the failed ones above." if failed else ""))
    if hidden:
        hidden_points = sum(cell.metadata["nbgrader"].get("points", 0) for cell in hidden)
        hidden_tests = f"{count(len(hidden), 'hidden test')} ({count(hidden_points, 'point')})"
        print("\n".join(wrap(f"{hidden_tests} run only at grading: this check cannot score them, and passing every "
                             "visible test does not earn them.")))
    return 1 if failed else 0


def check_notebook(path: Path, timeout: int = 120) -> int:
    nb = run(path, timeout)
    if isinstance(nb, str):
        print(nb)
        return 2
    return report(nb)
