"""``check NOTEBOOK``: a student's self-check, with an exit code that means something.

``nbgrader validate`` exits 0 even when tests fail, so a script or a CI job cannot use it.
This runs the notebook top to bottom in a fresh kernel (the student's own code, on their own
machine: no sandbox), then lists every visible test cell as passed or failed, by the name of
its check, with the feedback wrapped under it, and exits 1 when any failed (2 when the
notebook could not be run at all).

A hidden-test cell of a student notebook is a placeholder (its tests were taken out at
release): it is listed as "runs at grading", never as passed, and not counted. The closing
line is the one ``checks.summary()`` prints in the notebook, with the same numbers.

A Chinese notebook (``gpt2ln.grading.i18n.notebook_language``) runs with ``GPT2LN_LANG=zh_CN``,
so its checks speak Chinese, and is reported in Chinese.
"""

import os
import re
import textwrap
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from gpt2ln.grading.i18n import _, notebook_language, pad, using
from gpt2ln.grading.report import check_titles, error_text, tally, where_line, without_title, wrap

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
            where = where_line(output.get("traceback", []))
            errors.append("\n".join([error_text(output), *([where] if where else [])]))
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
    language = notebook_language(nb)
    env = os.environ | ({"GPT2LN_LANG": language} if language != "en" else {})
    try:
        client.execute(env=env)
    except Exception as error:
        return f"{path}: the notebook stopped running ({type(error).__name__}: {error})"
    return nb


def points(n: float) -> str:
    """``1 point``, ``2 points``, ``1.5 points``."""
    return (_("{n:g} point") if n == 1 else _("{n:g} points")).format(n=n)


def hidden_tests(n: int) -> str:
    return (_("{n:g} hidden test") if n == 1 else _("{n:g} hidden tests")).format(n=n)


def report(nb: nbformat.NotebookNode) -> int:
    """Print every test cell of an executed notebook, passed, failed or hidden; 1 when any visible one failed.

    In the notebook's language (English, or Chinese for a Chinese notebook)."""
    with using(notebook_language(nb)):
        return _report(nb)


def _report(nb: nbformat.NotebookNode) -> int:
    tests = [cell for cell in nb.cells if _is_test(cell)]
    visible = [cell for cell in tests if not is_placeholder(cell)]
    hidden = [cell for cell in tests if is_placeholder(cell)]
    failed = 0
    for cell in tests:
        meta = cell.metadata["nbgrader"]
        worth = meta.get("points", 0)
        name = ", ".join(check_titles(cell.source)) or meta.get("grade_id")
        if is_placeholder(cell):
            print(pad(_("hidden"), 8) + _("{grade_id} ({points}): runs at grading, not here").format(
                grade_id=meta.get("grade_id"), points=points(worth)))
            continue
        error = _error(cell)
        failed += error is not None
        scored = f"{0 if error else worth:g} / {worth:g}"
        print(f"{pad(_('FAILED') if error else _('PASSED'), 8)}{name} ({scored})")
        if error:
            print(_indented(without_title(error, name)))
    print(tally(len(visible) - failed, len(visible)) + (_(" Fix the failed ones above.") if failed else ""))
    if hidden:
        hidden_points = sum(cell.metadata["nbgrader"].get("points", 0) for cell in hidden)
        print("\n".join(wrap(_("{tests} ({points}) run only at grading: this check cannot score them, and passing "
                               "every visible test does not earn them.").format(
            tests=hidden_tests(len(hidden)), points=points(hidden_points)))))
    return 1 if failed else 0


def check_notebook(path: Path, timeout: int = 120) -> int:
    nb = run(path, timeout)
    if isinstance(nb, str):
        print(nb)
        return 2
    return report(nb)
